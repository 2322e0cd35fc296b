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
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol
from urllib.parse import urlsplit

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


class Headers(Protocol):
    def get(self, key: str, default: str) -> str: ...


@dataclass(frozen=True)
class Hit:
    """What a view reads of one answered request (the view layer fills it)."""

    method: str
    path: str
    status: int
    mimetype: str
    headers: Headers
    args: Headers
    address: str


@dataclass(frozen=True)
class Visit:
    """One page view as buffered, then stored."""

    viewed_at: str  # ISO time, UTC
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
        return json.dumps(vars(self), separators=(",", ":"))  # flat: no deep copy needed

    @classmethod
    def loads(cls, record: str) -> Visit | None:
        """The visit in a buffered record, or None for one that is not."""
        try:
            return cls(**json.loads(record))
        except (ValueError, TypeError):
            return None


def is_page_view(hit: Hit) -> bool:
    """A successful GET of an HTML page of the public site, by a person who did not ask
    not to be tracked, and not a prefetch."""
    headers = hit.headers
    return (
        hit.method == "GET"
        and hit.status == 200
        and hit.mimetype == "text/html"
        and not hit.path.startswith(NOT_PAGES)
        and headers.get("DNT", "").strip() != "1"
        and headers.get("Sec-GPC", "").strip() != "1"
        and not _prefetch(headers)
        and describe(headers.get("User-Agent", "")) is not None
    )


def _prefetch(headers: Headers) -> bool:
    purposes = f"{headers.get('Sec-Purpose', '')},{headers.get('Purpose', '')}"
    return "prefetch" in purposes.lower() or headers.get("X-Moz", "").lower() == "prefetch"


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


def _device_class(user_agent: str) -> str:
    if re.search(r"iPad|Tablet|Android(?!.*Mobile)", user_agent):
        return "tablet"
    if re.search(r"Mobi|iPhone|iPod|Android", user_agent):
        return "mobile"
    return "desktop"


def visitor_id(salt: str, address: str, user_agent: str) -> str:
    """HMAC-SHA256 of address and user agent under the day's salt: the same person is
    one visitor for a day, and cannot be linked across days once the salt is gone."""
    message = f"{address}\n{user_agent}".encode()
    return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()


def referrer_host(referrer: str, own_host: str) -> str:
    """The host a visitor came from; empty when none or from this site itself."""
    try:
        host = (urlsplit(referrer[:2000]).hostname or "").lower()
    except ValueError:
        return ""
    return "" if host == own_host.lower() else _printable(host)[:HOST_MAX]


def visit(hit: Hit, salt: str, now: datetime, own_host: str, post_slug: str = "") -> Visit:
    """The view to keep of a hit that ``is_page_view``."""
    user_agent = hit.headers.get("User-Agent", "")
    device, browser, system = describe(user_agent) or ("", "", "")
    return Visit(
        viewed_at=now.isoformat(),
        path=_printable(hit.path)[:PATH_MAX],
        post_slug=post_slug[:PATH_MAX],
        referrer_host=referrer_host(hit.headers.get("Referer", ""), own_host),
        utm_source=_tag(hit.args, "utm_source"),
        utm_medium=_tag(hit.args, "utm_medium"),
        utm_campaign=_tag(hit.args, "utm_campaign"),
        device=device,
        browser=browser,
        os=system,
        visitor=visitor_id(salt, hit.address, user_agent),
    )


def _printable(text: str) -> str:
    """Without control characters (NUL, which PostgreSQL's text refuses, among them)."""
    return "".join(c for c in text if c.isprintable())


def _tag(args: Headers, name: str) -> str:
    return _printable(args.get(name, "")).strip()[:UTM_MAX]
