"""Which requests are page views, and what is kept of one."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from inkstand.analytics import recording
from inkstand.analytics.models import HOST_MAX, PATH_MAX, UTM_MAX

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
SALT = "00" * 32
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def hit(path: str = "/", **kw: object) -> recording.Hit:
    headers = {"User-Agent": FIREFOX, **kw.pop("headers", {})}  # type: ignore[dict-item]
    environ = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    query = urlencode(kw.pop("args", {}))  # type: ignore[arg-type]
    fields = {"method": "GET", "path": path, "status": 200, "mimetype": "text/html",
              "environ": environ, "query": query, "address": "192.0.2.1", **kw}  # fmt: skip
    return recording.Hit(**fields)  # type: ignore[arg-type]


def visit(hit: recording.Hit, own_host: str = "inkstand.test") -> recording.Visit:
    kept = recording.visit(hit, SALT, NOW, own_host)
    assert kept is not None
    return kept


def test_a_person_reading_a_page_is_a_view() -> None:
    assert recording.is_page_view(hit())


@pytest.mark.parametrize(
    "headers",
    [{"DNT": "1"}, {"Sec-GPC": "1"}, {"Sec-Purpose": "prefetch"},
     {"Sec-Purpose": "prefetch;prerender"}, {"Purpose": "prefetch"}, {"X-Moz": "prefetch"}],
)  # fmt: skip
def test_do_not_track_privacy_control_and_prefetches_are_not_recorded(
    headers: dict[str, str],
) -> None:
    assert not recording.is_page_view(hit(headers=headers))


def test_dnt_zero_is_recorded() -> None:
    assert recording.is_page_view(hit(headers={"DNT": "0", "Sec-GPC": "0"}))


@pytest.mark.parametrize(
    "agent",
    [
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Twitterbot/1.0",
        "WhatsApp/2.23.20.0",
        "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/126.0 Safari/537.36",
        "Mozilla/5.0 " + "x" * 2000,
    ],
)
def test_robots_are_not_recorded(agent: str) -> None:
    assert not recording.is_page_view(hit(headers={"User-Agent": agent}))


@pytest.mark.parametrize(
    "path", ["/static/css/site.css", "/media/a.png", "/api/v1/posts", "/api/articles",
             "/admin/users", "/stats", "/feed.xml", "/feeds/atom"],
)  # fmt: skip
def test_assets_apis_feeds_and_back_office_are_not_pages(path: str) -> None:
    assert not recording.is_page_view(hit(path))


@pytest.mark.parametrize(
    "change",
    [{"method": "POST"}, {"method": "HEAD"}, {"status": 404}, {"status": 500}, {"status": 304},
     {"status": 301}, {"mimetype": "application/json"}, {"mimetype": "application/atom+xml"}],
)  # fmt: skip
def test_other_methods_errors_redirects_and_other_types_are_not_views(change: dict) -> None:
    assert not recording.is_page_view(hit(**change))


@pytest.mark.parametrize(
    ("agent", "expected"),
    [(FIREFOX, ("desktop", "Firefox", "Linux")), (IPHONE, ("mobile", "Mobile Safari", "iOS")),
     (IPAD, ("tablet", "Mobile Safari", "iOS"))],
)  # fmt: skip
def test_device_browser_and_system_come_from_the_user_agent(agent: str, expected: tuple) -> None:
    assert recording.describe(agent) == expected


def test_the_visitor_id_is_a_keyed_hash_of_address_and_agent() -> None:
    one = recording.visitor_id(SALT, "192.0.2.1", FIREFOX)
    assert one == recording.visitor_id(SALT, "192.0.2.1", FIREFOX)
    assert one != recording.visitor_id(SALT, "192.0.2.2", FIREFOX)
    assert one != recording.visitor_id(SALT, "192.0.2.1", IPHONE)
    assert one != recording.visitor_id("11" * 32, "192.0.2.1", FIREFOX)
    assert len(one) == 64
    assert "192.0.2.1" not in one


def test_what_is_kept_holds_no_address_nor_user_agent() -> None:
    record = visit(hit()).dumps()
    assert "192.0.2.1" not in record
    assert "Gecko" not in record


def test_utm_tags_are_read_and_capped() -> None:
    args = {"utm_source": "news\x00letter", "utm_medium": "email",
            "utm_campaign": "x" * 5000, "utm_term": "ignored"}  # fmt: skip
    kept = visit(hit(args=args))
    assert (kept.utm_source, kept.utm_medium) == ("newsletter", "email")
    assert kept.utm_campaign == "x" * UTM_MAX


@pytest.mark.parametrize(
    ("referrer", "host"),
    [("https://News.Example.com/a?b=c", "news.example.com"), ("", ""),
     ("https://inkstand.test/posts/x", ""), ("not a url", ""), ("http://[::1", ""),
     ("https://" + "a" * 400 + ".com/", ("a" * 400 + ".com")[:HOST_MAX])],
)  # fmt: skip
def test_the_referrer_keeps_only_a_foreign_host(referrer: str, host: str) -> None:
    kept = visit(hit(headers={"Referer": referrer}))
    assert kept.referrer_host == host


def test_a_long_path_is_capped() -> None:
    assert visit(hit("/" + "p" * 5000)).path == ("/" + "p" * 5000)[:PATH_MAX]


def test_control_characters_are_dropped_from_what_is_kept() -> None:
    headers = {"Referer": "https://ev\x00il.example/"}
    kept = visit(hit("/a\x00b\x1bc", headers=headers))
    assert kept.path == "/abc"
    assert "\x00" not in kept.referrer_host


def test_a_record_that_is_not_a_visit_is_skipped() -> None:
    assert recording.Visit.loads("{not json") is None
    assert recording.Visit.loads('{"path": "/"}') is None
    good = recording.record(hit(), SALT, NOW, "inkstand.test")
    assert recording.Visit.loads(good) is not None
    assert recording.Visit.loads("x" + good) is None  # not a time
    assert recording.Visit.loads(recording.record(hit("/a\x1fb"), SALT, NOW, "x")) is None


def test_the_request_buffers_little_and_the_flush_drops_robots() -> None:
    robot = hit(headers={"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"})
    assert recording.is_page_request(robot)  # cheap: the request does not parse agents
    assert recording.Visit.loads(recording.record(robot, SALT, NOW, "x")) is None
    record = recording.record(hit(), SALT, NOW, "inkstand.test")
    assert "192.0.2.1" not in record  # the address never leaves the request


def test_a_referrer_from_this_site_on_another_port_is_its_own() -> None:
    kept = recording.visit(hit(headers={"Referer": "http://inkstand.test:8000/"}), SALT, NOW,
                           "inkstand.test:8000")  # fmt: skip
    assert kept is not None
    assert kept.referrer_host == ""
