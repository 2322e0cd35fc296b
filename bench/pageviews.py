"""The analytics case: what recording page views costs, and what the dashboard costs.

The home page, from the page cache and rendered, is loaded with the same browser
user agent with recording off (INKSTAND_ANALYTICS_ENABLED=0) and on (the default):
the difference between the two is the cost of recording, flushes included; ", no
flush" shows the after-request hook's share alone. The
dashboard (/stats, 30 days, as an admin) is loaded over 1,000,000 views recorded in
the 29 finished days before today, seeded as daily totals in the shape the roll-up
writes, plus TODAY_VIEWS views of today that are read one by one.

Run as a script, `python bench/pageviews.py`, it measures the same in one process
instead, as CPU time (time.process_time) on bench/profile.py's SQLite database of
10,000 posts, or with `--postgres` on a PostgreSQL database of its own: the whole
cached request (the home page from the page cache, through Flask's test client, with
a browser's user agent so that it is recorded), the after-request hook alone (called
in a request context of the home page), and the flush of what those requests
buffered, each per view over `--requests` views, `--rounds` times. `--profile` adds
pyinstrument's profile of the hook and of the flush.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from measure import Result, Retries, measure
from seed import clean_env
from servers import HOST, free_port, serving
from sqlalchemy import create_engine, insert, update
from streams import Commenter
from targets import drop_database, postgres_site, sqlite_site

from inkstand.accounts.models import User
from inkstand.analytics.models import DailyTotal, PageView
from inkstand.config import DEFAULTS

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
# "no flush": the hook alone (views pile up in the process's buffer, written at exit).
RECORDING = (("recording off", {"INKSTAND_ANALYTICS_ENABLED": "0"}), ("recording on", {}),
             ("recording, no flush", {"INKSTAND_ANALYTICS_FLUSH_SECONDS": "0"}))  # fmt: skip
PAGES = (("home", {}), ("home, rendered", {"INKSTAND_PAGE_CACHE_SECONDS": "0"}))
VIEWS = 1_000_000
DAYS = 29  # finished days, rolled up; today is the 30th, read from the views
TODAY_VIEWS = 5_000
PASSWORD = "bench: the dashboard's admin"  # noqa: S105 (a throwaway database)
REFERRERS = [f"news{n}.example" for n in range(20)]
CAMPAIGNS = [(f"winter-{n}", "newsletter", "email") for n in range(5)]
KINDS = [("desktop", "Firefox", "Linux"), ("desktop", "Chrome", "Windows"),
         ("mobile", "Mobile Safari", "iOS"), ("mobile", "Chrome Mobile", "Android"),
         ("tablet", "Mobile Safari", "iOS"), ("desktop", "Safari", "Mac OS X")]  # fmt: skip


def recording(
    opts: argparse.Namespace, env: dict[str, str], url: str, serve: list[str],
    retries: Retries, tmp: Path,
) -> list[Result]:  # fmt: skip
    """The home page with recording off and on, from the cache and rendered."""
    results = []
    for page, page_settings in PAGES:
        for label, settings in RECORDING:
            case = f"{page}, {label}"
            port = free_port()
            log = tmp / f"{case.replace(', ', '-').replace(' ', '-')}.log"
            cmd = [*serve, "--bind", f"{HOST}:{port}"]
            server_env = {**env, "INKSTAND_DATABASE_URL": url, **page_settings, **settings}
            with serving(cmd, server_env, port, log) as server:
                results.append(
                    measure(
                        case,
                        None,
                        server,
                        "/",
                        opts,
                        'class="summary"',
                        retries,
                        headers={"User-Agent": FIREFOX},
                    )
                )
    return results


def dashboard(
    opts: argparse.Namespace, env: dict[str, str], url: str, serve: list[str],
    retries: Retries, tmp: Path, rng: random.Random, posts: int,
) -> list[Result]:  # fmt: skip
    """/stats?days=30 as an admin, over a million views rolled up and today's views."""
    seed_views(url, rng, posts)
    port = free_port()
    server_env = {**env, "INKSTAND_DATABASE_URL": url, "INKSTAND_ANALYTICS_ENABLED": "0"}
    with serving([*serve, "--bind", f"{HOST}:{port}"], server_env, port, tmp / "stats.log") as s:
        reader = Commenter(port)
        reader.login("ada", PASSWORD)
        cookie = "; ".join(f"{k}={v}" for k, v in reader.cookies.items())
        return [
            measure(
                "dashboard, 30 days",
                posts,
                s,
                "/stats?days=30",
                opts,
                "Top referrers",
                retries,
                headers={"Cookie": cookie, "User-Agent": FIREFOX},
            )
        ]


def seed_views(url: str, rng: random.Random, posts: int) -> None:
    """Daily totals of VIEWS views over DAYS days, as the roll-up writes them, and
    TODAY_VIEWS views of today; the first author becomes an admin with a password."""
    today = datetime.now(UTC).date()
    per_day = VIEWS // DAYS
    totals: list[dict[str, Any]] = []
    for n in range(1, DAYS + 1):
        day = today - timedelta(n)
        totals += _day(day, per_day + (VIEWS % DAYS if n == 1 else 0), rng, posts)
    now = datetime.now(UTC)
    views = [
        {"viewed_at": now - timedelta(seconds=rng.randrange(3600)), "day": today,
         "path": f"/posts/p{n % posts}", "post_id": 1 + n % posts,
         "referrer_host": rng.choice(["", *REFERRERS]), "utm_source": "", "utm_medium": "",
         "utm_campaign": "", "device": "desktop", "browser": "Firefox", "os": "Linux",
         "visitor": f"{rng.randrange(TODAY_VIEWS // 3):064x}"}
        for n in range(TODAY_VIEWS)
    ]  # fmt: skip
    hashed = PasswordHasher(
        time_cost=int(DEFAULTS["ARGON2_TIME_COST"]), memory_cost=int(DEFAULTS["ARGON2_MEMORY_COST"])
    ).hash(PASSWORD)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(DailyTotal.__table__), totals)
            conn.execute(insert(PageView.__table__), views)
            conn.execute(
                update(User).where(User.id == 1).values(role="admin", password_hash=hashed)
            )
    finally:
        engine.dispose()
    print(f"seeded {VIEWS:,} views as {len(totals):,} daily totals, and {TODAY_VIEWS:,} of today")


def _day(day: Any, views: int, rng: random.Random, posts: int) -> list[dict[str, Any]]:
    """One day's totals: the site, four authors, each post, paths, referrers, campaigns
    and devices, site-wide and per post."""

    def row(scope: str, kind: str, count: int, post: int | None = None,
            author: int | None = None, labels: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
        a, b, c = (*labels, "", "", "")[:3]
        visitors = max(1, count * 2 // 3)
        return {"day": day, "scope": scope, "kind": kind, "post_id": post, "author_id": author,
                "a": a, "b": b, "c": c, "views": count, "visitors": visitors}  # fmt: skip

    weights = [1 / (1 + n) for n in range(posts)]  # a few posts are read most
    total = sum(weights)
    per_post = [max(1, int(views * 0.8 * w / total)) for w in weights]
    rows = [row("site", "views", views)]
    rows += [row("author", "views", sum(per_post[a::4]), author=a + 1) for a in range(4)]
    rows += [row("site", "path", views - sum(per_post), labels=("/",))]
    for post, count in enumerate(per_post, start=1):
        rows.append(row("post", "views", count, post=post))
        rows.append(row("site", "path", count, labels=(f"/posts/p{post}",)))
        for referrer in rng.sample(REFERRERS, 5):
            rows.append(row("post", "referrer", count // 10, post=post, labels=(referrer,)))
        rows.append(row("post", "campaign", count // 20, post=post, labels=rng.choice(CAMPAIGNS)))
        for kind in KINDS:
            rows.append(row("post", "device", count // len(KINDS), post=post, labels=kind))
    rows += [row("site", "referrer", views // 40, labels=(r,)) for r in REFERRERS]
    rows += [row("site", "campaign", views // 50, labels=c) for c in CAMPAIGNS]
    rows += [row("site", "device", views // len(KINDS), labels=k) for k in KINDS]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="What recording a page view costs, in-process.")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL, not SQLite")
    parser.add_argument("--profile", action="store_true", help="profile the hook and flush")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="inkstand-pageviews-") as tmp:
        env = clean_env(Path(tmp))
        rng = random.Random(2024)
        site = (
            postgres_site(env, rng, posts=1000)
            if opts.postgres
            else sqlite_site(Path(tmp), env, rng)
        )
        try:
            os.environ.update(
                INKSTAND_DATABASE_URL=site.url,
                INKSTAND_SECRET_KEY=env["INKSTAND_SECRET_KEY"],
                INKSTAND_ANALYTICS_FLUSH_SECONDS="0",  # flushed here, not by a thread
            )
            _measure_in_process(opts, tmp)
        finally:
            if site.drop:
                drop_database(site.drop)
    return 0


def _measure_in_process(opts: argparse.Namespace, tmp: str) -> None:
    from inkstand import create_app
    from inkstand.analytics import tracking

    app = create_app(instance_path=tmp)
    client, found = app.test_client(), tracking.tracker(app)
    headers = {"User-Agent": FIREFOX}

    def cached() -> None:
        for _ in range(opts.requests):
            client.get("/", headers=headers)

    def hook() -> None:
        with app.test_request_context("/", headers=headers):
            response = app.make_response("<p>a page</p>")
            for _ in range(opts.requests):
                tracking._record(response)

    def flush() -> None:
        assert found.flush() == opts.requests

    cached()  # warm: templates compiled, the page cached, the salt read
    found.flush()
    print(f"{sys.modules['inkstand'].__file__}: {app.config['DATABASE_URL'].split(':')[0]}, "
          f"batches of {found.batch}; CPU per view, in us, over {opts.requests} views")  # fmt: skip
    print(f"{'round':>5} {'cached request':>15} {'hook':>8} {'flush':>8} {'recording':>10}")
    for number in range(1, opts.rounds + 1):
        request = _cpu(cached, opts.requests)  # buffers opts.requests views
        writing = _cpu(flush, opts.requests)
        hooked = _cpu(hook, opts.requests)
        found.buffer.take(opts.requests)  # the hook's views: not flushed
        share = (hooked + writing) / request
        print(f"{number:>5} {request:>15.1f} {hooked:>8.1f} {writing:>8.1f} {share:>10.1%}")
    if opts.profile:
        from pyinstrument import Profiler

        for label, work in (("hook", hook), ("flush", flush)):  # the hook's views, flushed
            profiler = Profiler(interval=0.0001)
            with profiler:
                work()
            print(f"--- {label}")
            print(profiler.output_text(unicode=True, color=False, show_all=False,
                                       time="percent_of_total"))  # fmt: skip


def _cpu(work: Callable[[], None], views: int) -> float:
    """CPU microseconds per view of ``work``."""
    started = time.process_time()
    work()
    return (time.process_time() - started) / views * 1e6


if __name__ == "__main__":
    sys.exit(main())
