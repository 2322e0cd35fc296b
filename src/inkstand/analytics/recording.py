"""Which requests are page views, and what is kept of one: plain Python, no Flask.

Kept: the time, the path, the post's slug (its id is looked up at flush), the
referrer's host, the UTM tags, the device class, the browser and OS families, and a
visitor id. Not kept: the address, the user agent, any cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from ua_parser import parse

from inkstand.analytics.models import HOST_MAX, LABEL_MAX, PATH_MAX, UTM_MAX

# Paths that are never page views of the public site, whatever they answer.
NOT_PAGES = ("/static/", "/media/", "/api/", "/admin", "/stats", "/feed.", "/feeds/")
# Robots by user agent: crawlers, link previewers, monitors, libraries and headless browsers.
ROBOT = re.compile(
    r"bot|crawl|spider|slurp|archiver|preview|facebookexternalhit|embedly|whatsapp|"
    r"monitor|uptime|pingdom|statuscake|check_http|nagios|curl|wget|python|java/|"
    r"go-http|okhttp|axios|node-fetch|headless|lighthouse|phantomjs|scrapy|httpclient",
    re.IGNORECASE,
)
UA_MAX = 1000  # a longer user agent is a robot's, or an attack
UTM = ("utm_source", "utm_medium", "utm_campaign")


REFERRER_MAX = 2000
QUERY_MAX = 2000


SEPARATOR = "\x1f"  # between the fields of a buffered record (a record with more is dropped)
FIELDS = 8


@dataclass(slots=True)  # not frozen: made on every request, and frozen costs twice as much
class Hit:
    """What a view reads of one answered request (the view layer fills it)."""

    method: str
    path: str
    status: int
    mimetype: str
    environ: Mapping[str, str]  # the WSGI environment: headers as HTTP_USER_AGENT...
    query: str  # the query string, undecoded
    address: str


@dataclass(frozen=True)
class Visit:
    """One page view as stored."""

    viewed_at: datetime  # UTC
    path: str
    post_slug: str
    referrer_host: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    device: str
    browser: str
    os: str
    visitor: str

    def dumps(self) -> str:
        return json.dumps(vars(self), separators=(",", ":"), default=str)  # flat: no deep copy

    @classmethod
    def loads(cls, record: str) -> Visit | None:
        """The visit in a buffered record (see ``record``); None for a robot's, or for a
        record that is not one."""
        fields = record.split(SEPARATOR)
        if len(fields) != FIELDS:
            return None
        when, path, slug, host, referrer, query, agent, visitor = fields
        try:
            return _visit(float(when), path, slug, host, referrer, query, agent, visitor)
        except (ValueError, OverflowError, OSError):  # a time that is not one
            return None


def is_page_request(hit: Hit) -> bool:
    """A successful GET of an HTML page of the public site, by someone who did not ask
    not to be tracked, and not a prefetch. Cheap: the request runs it; whether a robot
    asked is decided later, at the flush."""
    environ = hit.environ
    return (
        hit.method == "GET"
        and hit.status == 200
        and hit.mimetype == "text/html"
        and not hit.path.startswith(NOT_PAGES)
        and environ.get("HTTP_DNT", "").strip() != "1"
        and environ.get("HTTP_SEC_GPC", "").strip() != "1"
        and not _prefetch(environ)
    )


def is_page_view(hit: Hit) -> bool:
    """A page request (``is_page_request``) by a person, not a robot."""
    return is_page_request(hit) and describe(hit.environ.get("HTTP_USER_AGENT", "")) is not None


def record(hit: Hit, salt: str, now: datetime, host: str, post_slug: str = "") -> str:
    """What the request buffers of a page request: little work, the rest at the flush.
    The address is kept only as the visitor id; the user agent until the flush, which
    reads the device, browser and system from it (and drops robots) and forgets it."""
    agent = hit.environ.get("HTTP_USER_AGENT", "")[: UA_MAX + 1]
    return SEPARATOR.join((
        str(now.timestamp()), hit.path[: PATH_MAX * 4], post_slug[:PATH_MAX], host[:HOST_MAX + 6],
        hit.environ.get("HTTP_REFERER", "")[:REFERRER_MAX], hit.query[:QUERY_MAX], agent,
        visitor_id(salt, hit.address, agent),
    ))  # fmt: skip


def _prefetch(environ: Mapping[str, str]) -> bool:
    purposes = f"{environ.get('HTTP_SEC_PURPOSE', '')},{environ.get('HTTP_PURPOSE', '')}"
    return "prefetch" in purposes.lower() or environ.get("HTTP_X_MOZ", "").lower() == "prefetch"


@lru_cache(maxsize=4096)
def describe(user_agent: str) -> tuple[str, str, str] | None:
    """The device class, browser and OS of a person's user agent; None for a robot."""
    if not user_agent or len(user_agent) > UA_MAX or ROBOT.search(user_agent):
        return None
    found = parse(user_agent)
    if found.device is not None and found.device.family == "Spider":
        return None
    browser = found.user_agent.family if found.user_agent else "Other"
    system = found.os.family if found.os else "Other"
    return _device_class(user_agent), browser[:LABEL_MAX], system[:LABEL_MAX]


def build_parser() -> None:
    """Build ua-parser's parser, which its first use would otherwise build: about 1,000
    regular expressions, 5 MB and a second of CPU."""
    parse("")


def _device_class(user_agent: str) -> str:
    if re.search(r"iPad|Tablet|Android(?!.*Mobile)", user_agent):
        return "tablet"
    if re.search(r"Mobi|iPhone|iPod|Android", user_agent):
        return "mobile"
    return "desktop"


def visitor_id(salt: str, address: str, user_agent: str) -> str:
    """HMAC-SHA256 of address and user agent under the day's salt: the same person is
    one visitor for a day, and cannot be linked across days once the salt is gone."""
    keyed = _keyed(salt).copy()
    keyed.update(f"{address}\n{user_agent}".encode())
    return keyed.hexdigest()


@lru_cache(maxsize=1)  # the day's salt only: an old one is not kept here once replaced
def _keyed(salt: str) -> hmac.HMAC:
    """The HMAC keyed with ``salt``, copied for each id: cheaper than keying it again."""
    return hmac.new(bytes.fromhex(salt), digestmod=hashlib.sha256)


def referrer_host(referrer: str, own_host: str) -> str:
    """The host a visitor came from; empty when none or from this site itself."""
    try:
        host = (urlsplit(referrer[:2000]).hostname or "").lower()
    except ValueError:
        return ""
    return "" if host == own_host.lower() else _printable(host)[:HOST_MAX]


def visit(hit: Hit, salt: str, now: datetime, own_host: str, post_slug: str = "") -> Visit | None:
    """The view kept of a hit: its buffered record, read as the flush reads it."""
    return Visit.loads(record(hit, salt, now, own_host, post_slug))


def _visit(when: float, path: str, slug: str, host: str, referrer: str, query: str, agent: str,
           visitor: str) -> Visit | None:  # fmt: skip
    described = describe(agent)
    if described is None:
        return None
    device, browser, system = described
    args = (
        {name: values[0] for name, values in parse_qs(query).items() if name in UTM}
        if query
        else {}
    )
    own_host = host.rpartition(":")[0] if host.rpartition(":")[2].isdigit() else host
    return Visit(
        viewed_at=datetime.fromtimestamp(when, UTC),
        path=_printable(path)[:PATH_MAX],
        post_slug=slug[:PATH_MAX],
        referrer_host=referrer_host(referrer, own_host) if referrer else "",
        utm_source=_tag(args, "utm_source"),
        utm_medium=_tag(args, "utm_medium"),
        utm_campaign=_tag(args, "utm_campaign"),
        device=device,
        browser=browser,
        os=system,
        visitor=visitor[:64],
    )


def _printable(text: str) -> str:
    """Without control characters (NUL, which PostgreSQL's text refuses, among them)."""
    return text if text.isprintable() else "".join(c for c in text if c.isprintable())


def _tag(args: dict[str, str], name: str) -> str:
    value = args.get(name)
    return _printable(value).strip()[:UTM_MAX] if value else ""
