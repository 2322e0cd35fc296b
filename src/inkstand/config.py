"""Inkstand's settings: one declared table, then the load order.

Load order (later wins): the defaults below, ``instance/config.py``, ``INKSTAND_*``
environment variables, then the overrides a caller (a test) passes to
``create_app``. No secret has a default here: without ``INKSTAND_SECRET_KEY`` a key
is generated once into the instance folder.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        None,
        "Signs sessions, CSRF tokens and reset links. Generated into "
        "instance/secret_key on first run when not given.",
    ),
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL of the database, e.g. postgresql+psycopg://user@host/inkstand. "
        "Defaults to SQLite at instance/inkstand.sqlite3.",
    ),
    Setting(
        "REDIS_URL",
        None,
        "Redis URL, e.g. redis://127.0.0.1:6379/0. When set, the page cache, rate limits, "
        "live comment events and background jobs go through Redis and are shared by every "
        "app process; otherwise each process keeps its own in memory.",
    ),
    Setting(
        "JOBS_QUEUE",
        "inkstand",
        "Name of the RQ queue background jobs (comment mails) go to when REDIS_URL is "
        "set; `inkstand worker` runs them. Every RQ key of the queue carries the name: "
        "give each site sharing a Redis its own. Without REDIS_URL jobs run inline.",
    ),
    Setting(
        "SITE_URL",
        "",
        "Public base URL, e.g. https://blog.example.com: the one origin of every mailed, "
        "canonical and API link, and a host name the site answers to. Set it in production "
        "(`inkstand serve` on a public address refuses to start without it or TRUSTED_HOSTS).",
    ),
    Setting(
        "TRUSTED_HOSTS",
        (),
        "Host names the site answers to besides SITE_URL's, comma-separated (a leading dot "
        "allows subdomains). A request naming any other host, in Host or, behind trusted "
        "proxies, X-Forwarded-Host, is refused with a 400 before any link is built on it. "
        "With neither this nor SITE_URL, only localhost and 127.0.0.1 are answered.",
    ),
    Setting("MAIL_SERVER", "", "SMTP host. Empty: mail is written to instance/outbox/."),
    Setting("MAIL_PORT", 587, "SMTP port."),
    Setting("MAIL_USERNAME", "", "SMTP user name, if the server wants one."),
    Setting("MAIL_PASSWORD", "", "SMTP password, if the server wants one."),
    Setting("MAIL_USE_TLS", True, "Use STARTTLS for SMTP."),
    Setting("MAIL_FROM", "Inkstand <noreply@localhost>", "Sender address of outgoing mail."),
    Setting("PASSWORD_RESET_MAX_AGE", 3600, "Seconds a password reset link stays valid."),
    Setting(
        "EMAIL_CHANGE_MAX_AGE",
        86400,
        "Seconds a link that confirms a new e-mail address for an account stays valid.",
    ),
    Setting(
        "EMAIL_CONFIRM_MAX_AGE",
        172800,
        "Seconds the link mailed at registration to confirm an account's address stays valid.",
    ),
    Setting(
        "TWO_FACTOR_LOGIN_SECONDS",
        300,
        "Seconds a log-in may wait for its two-factor code after the password was right; "
        "then it starts again from the password.",
    ),
    Setting(
        "SESSION_MAX_AGE",
        30 * 24 * 3600,
        "Seconds a log-in lasts at most, remembered or not (the remember-me cookie lasts "
        "as long). Logging out, logging out everywhere or a new password ends it sooner.",
    ),
    Setting(
        "INVITATION_MAX_AGE",
        7 * 86400,
        "Seconds an admin's invitation link (to make an account with a role) stays valid.",
    ),
    Setting("ARGON2_TIME_COST", 3, "Argon2id iterations; raising it rehashes on next login."),
    Setting("ARGON2_MEMORY_COST", 65536, "Argon2id memory in KiB; raising it rehashes on login."),
    Setting(
        "LOGIN_LIMITS_PER_ACCOUNT",
        "10 per minute",
        "Failed log-ins allowed per account, from every address together, named by "
        "username or e-mail (Flask-Limiter notation). Keep its periods short: it is the "
        "longest the owner waits after a stranger's failures.",
    ),
    Setting(
        "LOGIN_LIMITS_PER_ACCOUNT_AND_ADDRESS",
        "5 per minute;20 per hour",
        "Failed log-ins allowed per account from one client address (Flask-Limiter notation).",
    ),
    Setting(
        "LOGIN_LIMITS_PER_ADDRESS",
        "20 per minute;100 per hour",
        "Failed log-ins allowed per client address (Flask-Limiter notation).",
    ),
    Setting(
        "COMMENT_MIN_SECONDS",
        3,
        "Least time, in seconds, between showing a comment form and posting it; "
        "quicker posts are refused as automated. 0: no minimum.",
    ),
    Setting("COMMENT_MAX_LINKS", 3, "Most links a comment may carry."),
    Setting(
        "COMMENT_LIMITS_PER_ACCOUNT",
        "6 per minute;60 per day",
        "Comments an account may post (Flask-Limiter notation).",
    ),
    Setting(
        "COMMENT_LIMITS_PER_ADDRESS",
        "20 per minute;300 per day",
        "Comments that may be posted from one client address (Flask-Limiter notation).",
    ),
    Setting(
        "DATA_EXPORT_LIMITS_PER_ACCOUNT",
        "3 per hour;10 per day",
        "Downloads of her own data an account may make (Flask-Limiter notation): each "
        "reads everything the account owns.",
    ),
    Setting(
        "ADDRESS_CHANGE_LIMITS_PER_ACCOUNT",
        "5 per hour;10 per day",
        "Links to confirm a new e-mail address an account may ask for (Flask-Limiter "
        "notation): each one mails an address the account does not own yet.",
    ),
    Setting(
        "CONFIRMATION_MAIL_LIMITS_PER_ACCOUNT",
        "3 per hour;10 per day",
        "New links to confirm the address given at registration an account may ask for "
        "(Flask-Limiter notation).",
    ),
    Setting(
        "TWO_FACTOR_LIMITS_PER_ACCOUNT",
        "5 per minute;20 per hour",
        "Wrong two-factor or recovery codes allowed per account, at log-in, enrolment and "
        "when turning it off (Flask-Limiter notation).",
    ),
    Setting(
        "TWO_FACTOR_LIMITS_PER_ADDRESS",
        "20 per minute;100 per hour",
        "Wrong two-factor or recovery codes allowed per client address (Flask-Limiter notation).",
    ),
    Setting(
        "PREVIEW_LIMITS_PER_ACCOUNT",
        "30 per minute;1000 per day",
        "Previews of a post body a writer's account may ask for (Flask-Limiter notation).",
    ),
    Setting(
        "AUTOSAVE_LIMITS_PER_ACCOUNT",
        "30 per minute;3000 per day",
        "Autosaves of the editor a writer's account may make (Flask-Limiter notation).",
    ),
    Setting(
        "REGISTER_LIMITS_PER_ADDRESS",
        "10 per hour",
        "Registrations allowed per client address (Flask-Limiter notation).",
    ),
    Setting(
        "PASSWORD_RESET_LIMITS_PER_ACCOUNT",
        "3 per hour;10 per day",
        "Password reset mails one account may be sent, whoever asks from wherever "
        "(Flask-Limiter notation). Past it the page answers as ever and sends nothing.",
    ),
    Setting(
        "PASSWORD_RESET_LIMITS_PER_ADDRESS",
        "10 per hour",
        "Password reset links that may be asked for from one client address "
        "(Flask-Limiter notation).",
    ),
    Setting(
        "API_LIMITS",
        "120 per minute;3000 per hour",
        "Requests to the API per token, or per client address without one "
        "(Flask-Limiter notation).",
    ),
    Setting(
        "API_LIMITS_PER_ADDRESS",
        "600 per minute",
        "Requests to the API from one client address, whatever the tokens "
        "(Flask-Limiter notation).",
    ),
    Setting(
        "REALWORLD_TOKEN_MAX_AGE",
        14 * 24 * 3600,
        "Seconds a token issued by the RealWorld API (/api/users/login) stays valid. "
        "A new password ends every token sooner.",
    ),
    Setting("MAX_CONTENT_LENGTH", 1024 * 1024, "Largest request body accepted, in bytes."),
    Setting("POST_BODY_MAX_CHARS", 100_000, "Longest post body accepted, in characters."),
    Setting(
        "MEDIA_PATH",
        "",
        "Folder uploaded images are stored in; several app processes share it (a common "
        "volume). Empty: instance/media.",
    ),
    Setting(
        "MEDIA_MAX_BYTES",
        10 * 1024 * 1024,
        "Largest image file accepted for upload, in bytes (uploads are allowed this much "
        "past MAX_CONTENT_LENGTH).",
    ),
    Setting(
        "IMPORT_MAX_BYTES",
        512 * 1024 * 1024,
        "Largest WordPress or Ghost export an admin may upload for import, in bytes "
        "(the command line reads any size, streaming).",
    ),
    Setting(
        "IMPORT_MAX_UNPACKED_BYTES",
        4 * 1024 * 1024 * 1024,
        "Most bytes a site export (zip) may unpack to on import; a larger one, or one "
        "whose files shrink more than 200 to 1 (a zip bomb), is refused before any write.",
    ),
    Setting(
        "MEDIA_MAX_PIXELS",
        40_000_000,
        "Most pixels (width x height) an uploaded image may have; larger ones, and "
        "decompression bombs that claim more, are refused before decoding.",
    ),
    Setting(
        "PREFERRED_URL_SCHEME",
        "http",
        "Scheme of generated external URLs; set to https behind TLS.",
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        False,
        "Send cookies over HTTPS only. Also applied per request when served over HTTPS.",
    ),
    Setting(
        "PAGE_CACHE_SECONDS",
        300,
        "How long a public page rendered for visitors who are not logged in is kept "
        "(in memory, or in Redis when configured). Any change to content retires it. 0: off.",
    ),
    Setting(
        "REDIS_PREFIX",
        "inkstand",
        "Start of the name of every Redis key and channel Inkstand uses (page cache, "
        "rate limits, live events); give each site that shares a Redis server its own.",
    ),
    Setting(
        "LIVE_STREAM_SECONDS",
        300,
        "Longest a live comment stream stays open; the browser then reconnects and "
        "resumes from its last event, so no update is lost.",
    ),
    Setting(
        "LIVE_HEARTBEAT_SECONDS",
        15,
        "Seconds between keep-alive lines on an idle live stream; each also looks in "
        "the database for anything the event bus did not announce.",
    ),
    Setting("LIVE_POLL_SECONDS", 25, "Longest a long-polling request for new comments waits."),
    Setting(
        "LIVE_READERS_MAX",
        400,
        "Live comment streams and long polls one app process holds at once; more are "
        "answered 503 and retry later. Keep it below SERVER_THREADS with gthread workers.",
    ),
    Setting(
        "LIVE_READERS_PER_ADDRESS",
        20,
        "Live comment streams and long polls one client address holds open at once, "
        "across every app process; more are answered 429 while others still connect.",
    ),
    Setting(
        "LIVE_READERS_PER_ACCOUNT",
        10,
        "Live comment streams and long polls one logged-in account holds open at once, "
        "from any address; more are answered 429.",
    ),
    Setting(
        "LIVE_LIMITS_PER_ADDRESS",
        "120 per minute",
        "Live comment streams and long polls one client address may open (Flask-Limiter notation).",
    ),
    Setting(
        "PROXY_COUNT", 0, "Number of trusted proxies in front (for client address and scheme)."
    ),
    Setting(
        "METRICS_TOKEN",
        "",
        "Bearer token a Prometheus scraper sends to read /metrics; empty: /metrics is not served.",
    ),
    Setting(
        "READY_TIMEOUT_SECONDS",
        2,
        "Longest /readyz waits for the database, and for Redis when configured, before "
        "answering 503.",
    ),
    Setting(
        "SERVER_WORKERS",
        0,
        "Worker processes for `inkstand serve`; 0 means one without REDIS_URL (the event "
        "bus, page cache and rate limits are then in the process) and 2 x cores + 1 with it.",
    ),
    Setting(
        "SERVER_WORKER_CLASS",
        "gthread",
        "gunicorn worker class for `inkstand serve`: gthread (each request, and each open "
        "live stream, a thread) or gevent (each one a greenlet).",
    ),
    Setting(
        "SERVER_THREADS",
        512,
        "Threads per gthread worker: the requests, open live streams included, it serves at "
        "once. Each open stream holds one; threads are started only when needed.",
    ),
    Setting(
        "SERVER_CONNECTIONS",
        1000,
        "Most connections one gevent worker serves at once, open live streams included.",
    ),
    Setting(
        "SERVER_KEEPALIVE_SECONDS",
        75,
        "Seconds `inkstand serve` keeps an idle connection open for its next request. Keep "
        "it above the idle timeout of the proxy in front (nginx's upstream keepalive_timeout "
        "and most load balancers': 60 s), so that the proxy closes idle connections first.",
    ),
    Setting(
        "SERVER_ACCESS_LOG",
        True,
        "Write a line per request to standard output (gunicorn's access log, with the "
        "request id); off saves its cost when a proxy in front keeps the same log.",
    ),
    Setting("FEED_ITEMS", 20, "Posts in each RSS and Atom feed (site, tag, author), newest first."),
    Setting(
        "SITEMAP_URLS_PER_FILE",
        50_000,
        "Most URLs in one sitemap file (the protocol's limit is 50,000); a site with more "
        "serves /sitemap.xml as an index of files of this size.",
    ),
    Setting("ARCHIVE_MONTHS_PER_PAGE", 24, "Months on each page of the archive index."),
    Setting(
        "RELATED_POSTS", 3, "Related posts (sharing the most tags) shown under a post; 0: none."
    ),
    Setting(
        "SEARCH_RANK_WINDOW",
        200,
        "Search ranks the newest this many posts that match a query, so that a page costs "
        "the same however many posts match; the older matches follow them, newest first. "
        "0: rank every match (a cost that grows with the matches).",
    ),
    Setting(
        "ANALYTICS_ENABLED",
        True,
        "Record page views of the public site (no cookies, no addresses kept; see "
        "docs/privacy.md) for the dashboard at /stats.",
    ),
    Setting(
        "ANALYTICS_FLUSH_SECONDS",
        10,
        "Seconds between writes of buffered page views to the database, by a thread of "
        "each app process; a crashed process loses at most this much. 0: no thread (with "
        "Redis, `inkstand worker --with-scheduler` flushes; see docs/operations.md).",
    ),
    Setting("ANALYTICS_BATCH_SIZE", 500, "Page views written per insert by a flush."),
    Setting(
        "TRASH_DAYS",
        30,
        "Days a deleted post stays in the trash, where its author (or an editor or admin) "
        "can restore it, before it is purged for good. It keeps its address until then.",
    ),
    Setting(
        "TRASH_PURGE_SECONDS",
        3600,
        "Seconds between purges of posts in the trash past TRASH_DAYS: by a thread of the "
        "app process without Redis; with Redis, by `inkstand worker --with-scheduler`. "
        "0: no thread (run `inkstand trash purge` from cron).",
    ),
    Setting(
        "ANALYTICS_CACHE_SECONDS",
        60,
        "Seconds the statistics of one range are kept in the cache (the page cache's store) "
        "before they are computed again; the visitors of the last five minutes are always "
        "fresh. 0: compute them on every request.",
    ),
    Setting(
        "ANALYTICS_KEEP_DAYS",
        30,
        "Days page views are kept one by one; each finished day is rolled up into daily "
        "totals (kept for good) and its views deleted once this old. 0: keep every view.",
    ),
    Setting(
        "SUBSCRIPTION_LINK_MAX_AGE",
        2 * 86400,
        "Seconds the link that confirms an e-mail subscription stays valid; an unconfirmed "
        "subscription is deleted once its link has expired.",
    ),
    Setting(
        "SUBSCRIBE_LIMITS_PER_ADDRESS",
        "10 per hour",
        "Subscribe forms one client address may send (Flask-Limiter notation).",
    ),
    Setting(
        "SUBSCRIPTION_MAIL_LIMITS_PER_ADDRESS",
        "1 per hour",
        "Confirmation mails one e-mail address may be sent, whoever asks (Flask-Limiter "
        "notation). Past it the form answers as ever and sends nothing.",
    ),
    Setting(
        "NEWSLETTER_BATCH_SIZE",
        50,
        "Subscribers mailed a new post per batch.",
    ),
    Setting(
        "NEWSLETTER_BATCH_PAUSE_MS",
        1000,
        "Milliseconds the newsletter job waits between batches: the rate limit of its mail.",
    ),
    Setting(
        "NEWSLETTER_JOB_SECONDS",
        30,
        "Seconds one newsletter job sends before it queues the rest as a job of its own "
        "(within RQ's job timeout).",
    ),
    Setting(
        "NEWSLETTER_SWEEP_SECONDS",
        60,
        "Seconds between looks for newly published posts to mail (a scheduled post's time "
        "come too) and for newsletters a dead worker left: by a thread of the app process "
        "without Redis; with Redis, by `inkstand worker --with-scheduler`. 0: none.",
    ),
    Setting(
        "NEWSLETTER_LOOKBACK_HOURS",
        24,
        "Only posts published this many hours ago or less are mailed: turning subscriptions "
        "on does not mail the archive.",
    ),
    Setting("LOG_LEVEL", "INFO", "Level of the application log: DEBUG, INFO, WARNING, ERROR."),
    Setting(
        "LOG_FORMAT",
        "text",
        "Log lines, the application's and the access log's: text, or json (one object per "
        "line, for a log collector). Both carry each request's X-Request-ID.",
    ),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}


def _coerce(raw: str, default: Any) -> Any:
    """Read an environment string as the type of the setting's default."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, tuple):
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    return raw


def load(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the app's configuration, merged in the documented order."""
    config: dict[str, Any] = dict(DEFAULTS)
    instance_file = instance_path / "config.py"
    if instance_file.is_file():
        namespace: dict[str, Any] = {}
        exec(compile(instance_file.read_text(), str(instance_file), "exec"), namespace)  # noqa: S102
        config.update({k: v for k, v in namespace.items() if k.isupper()})
    for name, default in DEFAULTS.items():
        raw = os.environ.get(f"INKSTAND_{name}")
        if raw is not None:
            config[name] = _coerce(raw, default)
    config.update(overrides or {})

    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'inkstand.sqlite3'}"
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(instance_path)
    return config


def _instance_secret(instance_path: Path) -> str:
    """Read the instance's generated secret key, creating it on first use.

    The key is written to a temporary file and linked into place, so a process
    starting at the same moment reads either no file or the whole key.
    """
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won; use its key
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to make a new one")
    return key
