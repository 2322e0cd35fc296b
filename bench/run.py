"""`make bench`: Inkstand's home and post pages under gunicorn, against a bare Flask floor.

For each database size (100 and 10,000 published posts by default) a fresh SQLite
database is made with the real migrations (`inkstand db upgrade`) and filled in
bulk, in the shape the blog services write. Each case then gets a fresh
production server (`inkstand serve`: gunicorn, gthread workers) on a free
loopback port, a short warm-up and a measured `wrk` run; afterwards the peak
resident memory (VmHWM) of every worker is read from /proc. Each page is
measured twice: as a visitor without a session cookie gets it, from the page
cache ("home", "post"), and with the cache off (INKSTAND_PAGE_CACHE_SECONDS=0:
"home, rendered", "post, rendered"), which is what a logged-in reader or a cache
miss costs. The floor is a bare Flask app (bench/floor.py) served by the same
gunicorn command line, measured first and last; the CPU columns show what the
server, wrk and everything else on the machine used during each measured run,
so a noisy machine shows itself.

Results are printed as a table and written to bench/results/latest.json.
Every server is stopped on the way out, on errors and on Ctrl-C too.

A second case, "api", loads the two JSON APIs' post lists, GET /api/v1/posts (the
native API) and GET /api/articles (RealWorld), on each database, as a client
without a token gets them, with the API rate limits lifted for the load.

A search case, "search", loads the results page of a two-word query (both words in
the titles of a tenth of the posts) over databases of 10,000 and 100,000 posts
(`--search-posts`), indexed by `inkstand search rebuild`: ranked within the newest
SEARCH_RANK_WINDOW matches (the default; the older matches follow on later pages),
and with every match ranked (", every match ranked": INKSTAND_SEARCH_RANK_WINDOW=0);
"search, page past the window" loads a page of the older matches. The same cases run
on PostgreSQL (", PostgreSQL") when `--postgres-url` answers: a database of each size
is made on that server for the run and dropped after.

A third case, "streams" (bench/live.py), loads the post page while 0, 100 and
500 live comment streams are held open on it (bench/streams.py), under each
worker class `inkstand serve` offers, and checks that a comment posted meanwhile
reaches the streams. `--cases pages api streams` names the cases to run (the
floor runs either way); `--cases search` runs just the search case.

A last case, "markdown" (bench/rendering.py), needs no server: the CPU time of
rendering an ordinary 100 KB post's body as a save does, beside a corpus of
pathological 100 KB bodies (unclosed openers repeated), and the worst as a ratio;
`--cases markdown` runs just that.

An analytics case (bench/pageviews.py, `--cases analytics`) loads the home page
with recording off and on, and the statistics dashboard over a million recorded
views.

The modules beside this one: seed.py (databases), servers.py (gunicorn and /proc),
load.py (wrk), measure.py (one case), live.py and streams.py (the streams case),
report.py (tables, summary and JSON), rendering.py (the markdown case).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import random
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from live import Live, measure_live, measure_logins, prepare, redis_answers, server_env
from measure import Result, Retries, measure
from pageviews import dashboard, recording
from rendering import markdown_lines, measure_markdown
from report import compare_to_floor, is_floor, report
from seed import clean_env, index, migrate, postgres_answers, postgres_database, seed
from servers import BIN, HOST, fetch, floor_command, free_port, gunicorn_args, serving
from streams import raise_file_limit
from targets import CASES as TARGET_CASES
from targets import Targets, run_targets, target_lines

from inkstand.commands import WORKER_CLASSES
from inkstand.config import DEFAULTS

PAGE_CACHE_SECONDS = int(DEFAULTS["PAGE_CACHE_SECONDS"])  # what the cached rows run with
# Each page is measured as served from the page cache, then rendered on every request.
VARIANTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("", {}),  # Inkstand's default settings: the page cache is on
    (", rendered", {"INKSTAND_PAGE_CACHE_SECONDS": "0"}),
)


def run(opts: argparse.Namespace, tmp: Path) -> tuple[list[Result], list[Live], Targets]:
    env = clean_env(tmp)
    rng = random.Random(2024)
    databases: dict[int, tuple[str, str, str]] = {}
    every_size = {"pages", "api"} & set(opts.cases)
    sizes = opts.posts if every_size else [min(opts.posts)]
    for count in sizes:
        started = time.monotonic()
        url = f"sqlite:///{tmp / f'inkstand-{count}.sqlite3'}"
        migrate(url, env)
        migrated = time.monotonic()
        slug, title = seed(url, count, rng)
        print(
            f"seeded {count:,} posts: migrations {migrated - started:.1f}s, "
            f"inserts {time.monotonic() - migrated:.1f}s"
        )
        databases[count] = (url, slug, title)

    per_worker = ["--threads", str(opts.server_threads)] if opts.worker_class == "gthread" else []
    serve = [
        str(BIN / "inkstand"), "serve", "--workers", str(opts.workers),
        "--worker-class", opts.worker_class, *per_worker,
    ]  # fmt: skip
    print(f"serving with {opts.workers} workers ({server_text(opts)})")

    # A first server on the largest database: check the home page and learn its size
    # and the exact gunicorn command line, which the floor then reuses.
    largest = max(databases)
    port = free_port()
    probe_env = {**env, "INKSTAND_DATABASE_URL": databases[largest][0]}
    cmd = [*serve, "--bind", f"{HOST}:{port}"]
    with serving(cmd, probe_env, port, tmp / "probe.log") as server:
        app_args = gunicorn_args(server.pid)
        status, body = fetch(port, "/")
    shown, tagged = body.count(b'class="summary"'), body.count(b'class="tags"')
    if status != 200 or shown != min(10, largest):
        raise RuntimeError(f"home page gave {status} with {shown} posts, not 10")
    if tagged != shown:  # the seeded rows lack something the pages read
        raise RuntimeError(f"home page shows tags for {tagged} of its {shown} posts")
    floor_env = {**env, "BENCH_FLOOR_BYTES": str(len(body))}
    retries = Retries(opts.retries)

    def floor(label: str) -> Result:
        port = free_port()
        log = tmp / f"{label}.log"
        with serving(floor_command(app_args, port), floor_env, port, log) as server:
            return measure(label, None, server, "/", opts, "hello", retries)

    # The floor is measured first and last: a drift between the two shows noise.
    results = [floor("floor")]
    if "search" in opts.cases:
        results += searches(opts, env, tmp, databases, rng, serve, retries)
    if "pages" in opts.cases:
        results += pages(opts, env, databases, serve, retries, tmp)
    if "api" in opts.cases:
        results += apis(opts, env, databases, serve, retries, tmp)
    if "analytics" in opts.cases:
        results += analytics_cases(opts, env, databases, rng, serve, retries, tmp)
    elif "recording" in opts.cases:  # the analytics case without the dashboard
        results += recording(opts, env, databases[min(databases)][0], serve, retries, tmp)
    targets = Targets()
    if set(TARGET_CASES) & set(opts.cases):
        targets = run_targets(opts, env, serve, retries, tmp, rng)
        results += targets.results
    lives: list[Live] = []
    if "streams" in opts.cases:
        lives = streams(opts, env, databases, retries, tmp)
    results.append(floor("floor, again"))
    compare_to_floor(results, [live.load for live in lives])
    return results, lives, targets


# Two words of a tenth of the titles ("Why your cache needs a budget"): many matches.
SEARCH_PATH = "/search?q=cache+budget"
SEARCH_VARIANTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("", {}),  # the newest SEARCH_RANK_WINDOW matches ranked (the default)
    (", every match ranked", {"INKSTAND_SEARCH_RANK_WINDOW": "0"}),
)
# A page of the matches older than the ranked window: the cursor of the rank that
# follows every ranked match (search.engines.BEYOND = 1.0) and an id below them all.
PAST_WINDOW = "&cursor=" + base64.urlsafe_b64encode(struct.pack(">dI", 1.0, 5_000)).decode()


def analytics_cases(
    opts: argparse.Namespace, env: dict[str, str], databases: dict[int, tuple[str, str, str]],
    rng: random.Random, serve: list[str], retries: Retries, tmp: Path,
) -> list[Result]:  # fmt: skip
    """The home page with recording off and on; the dashboard over a million views, on a
    database of its own (the recording runs add views of today to theirs)."""
    count = min(databases)
    results = recording(opts, env, databases[count][0], serve, retries, tmp)
    url = f"sqlite:///{tmp / 'inkstand-stats.sqlite3'}"
    migrate(url, env)
    seed(url, count, rng)
    return results + dashboard(opts, env, url, serve, retries, tmp, rng, count)


def searches(
    opts: argparse.Namespace, env: dict[str, str], tmp: Path,
    databases: dict[int, tuple[str, str, str]], rng: random.Random, serve: list[str],
    retries: Retries,
) -> list[Result]:  # fmt: skip
    """The results page of a two-word query, on databases of each --search-posts size:
    SQLite, and PostgreSQL when --postgres-url answers."""
    cases: list[Case] = []
    if opts.postgres_url and not postgres_answers(opts.postgres_url):
        print(f"PostgreSQL does not answer at {opts.postgres_url}: search on SQLite only")
        opts.postgres_url = ""
    with contextlib.ExitStack() as stack:
        for count in opts.search_posts:
            urls = [("", databases[count][0] if count in databases else "")]
            if opts.postgres_url:
                name = f"inkstand_bench_{os.getpid()}_{count}"
                urls.append(
                    (
                        ", PostgreSQL",
                        stack.enter_context(postgres_database(opts.postgres_url, name)),
                    )
                )
            for engine, url in urls:
                started = time.monotonic()
                if not url:
                    url = f"sqlite:///{tmp / f'inkstand-search-{count}.sqlite3'}"
                if not url.startswith("sqlite") or count not in databases:
                    migrate(url, env)
                    seed(url, count, rng)
                seeded = time.monotonic()
                index(url, env)
                print(
                    f"search database of {count:,} posts{engine}: seeded "
                    f"{seeded - started:.1f}s, indexed {time.monotonic() - seeded:.1f}s"
                )
                for suffix, settings in (*SEARCH_VARIANTS, (", page past the window", {})):
                    path = SEARCH_PATH + (PAST_WINDOW if "past" in suffix else "")
                    cases.append(
                        ("search" + suffix + engine, count, path, "<mark>",
                         {"INKSTAND_DATABASE_URL": url, **settings})
                    )  # fmt: skip
        return measure_cases(cases, opts, env, serve, retries, tmp)


def pages(
    opts: argparse.Namespace, env: dict[str, str], databases: dict[int, tuple[str, str, str]],
    serve: list[str], retries: Retries, tmp: Path,
) -> list[Result]:  # fmt: skip
    """The home page and a post, each from the page cache and rendered."""
    cases = []
    for count, (url, slug, title) in databases.items():
        for page, path, check in [
            ("home", "/", 'class="summary"'),
            ("post", f"/posts/{slug}", title),
        ]:
            for suffix, settings in VARIANTS:
                cases.append(
                    (page + suffix, count, path, check, {"INKSTAND_DATABASE_URL": url, **settings})
                )
    return measure_cases(cases, opts, env, serve, retries, tmp)


# The API rate limits (per token or address) would refuse a load from one address.
UNLIMITED_API = {
    "INKSTAND_API_LIMITS": "100000000 per minute",
    "INKSTAND_API_LIMITS_PER_ADDRESS": "100000000 per minute",
}
API_CASES = (
    ("api v1 posts", "/api/v1/posts", '"title"'),
    ("api articles", "/api/articles", '"articlesCount"'),
)


def apis(
    opts: argparse.Namespace, env: dict[str, str], databases: dict[int, tuple[str, str, str]],
    serve: list[str], retries: Retries, tmp: Path,
) -> list[Result]:  # fmt: skip
    """The first page of each API's post list (20 posts), for a client with no token."""
    cases = [
        (case, count, path, check, {"INKSTAND_DATABASE_URL": url, **UNLIMITED_API})
        for count, (url, _, _) in databases.items()
        for case, path, check in API_CASES
    ]
    return measure_cases(cases, opts, env, serve, retries, tmp)


Case = tuple[str, int, str, str, dict[str, str]]  # name, posts, path, check, settings


def measure_cases(
    cases: list[Case], opts: argparse.Namespace, env: dict[str, str], serve: list[str],
    retries: Retries, tmp: Path,
) -> list[Result]:  # fmt: skip
    """Each case on a fresh server of its own, with its settings."""
    results = []
    for case, count, path, check, settings in cases:
        port = free_port()
        cmd = [*serve, "--bind", f"{HOST}:{port}"]
        log = tmp / f"{case.replace(', ', '-').replace(' ', '-')}-{count}.log"
        with serving(cmd, {**env, **settings}, port, log) as server:
            results.append(measure(case, count, server, path, opts, check, retries))
    return results


def streams(
    opts: argparse.Namespace, env: dict[str, str], databases: dict[int, tuple[str, str, str]],
    retries: Retries, tmp: Path,
) -> list[Live]:  # fmt: skip
    """The post page with 0, then each of opts.streams, comment streams open on it."""
    raise_file_limit(4 * max(opts.streams, default=0) + 1024)
    target = prepare(*databases[min(databases)])
    opts.redis_used = opts.redis_url if redis_answers(opts.redis_url) else ""
    bus = f"Redis at {opts.redis_used}" if opts.redis_used else "in-process (no Redis answered)"
    print(f"live streams on post {target.post_id}, event bus {bus}")
    live_env = server_env(env, target, opts.redis_used)
    counts = [0, *opts.streams]
    lives = []
    for kind in opts.servers:
        lives += [measure_live(kind, n, target, live_env, opts, retries, tmp) for n in counts]
        if opts.logins:
            lives.append(measure_logins(kind, target, live_env, opts, retries, tmp))
    return lives


def server_text(opts: argparse.Namespace) -> str:
    if opts.worker_class == "gthread":
        return f"gthread, {opts.server_threads} threads each"
    return f"{opts.worker_class}, {DEFAULTS['SERVER_CONNECTIONS']} connections each"


def _stop_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `finally`, stopping servers


def _deadline(_signum: int, _frame: FrameType | None) -> None:
    raise TimeoutError("the benchmark ran past its deadline")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per case")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per case")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--worker-class", choices=WORKER_CLASSES, default=DEFAULTS["SERVER_WORKER_CLASS"],
        help="gunicorn worker class of the floor and the pages case (default: Inkstand's)",
    )  # fmt: skip
    parser.add_argument(
        "--server-threads", type=int, default=int(DEFAULTS["SERVER_THREADS"]),
        help="threads per gthread worker in the pages case (default: Inkstand's)",
    )  # fmt: skip
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=(
            "pages",
            "api",
            "search",
            "streams",
            "markdown",
            "analytics",
            "recording",
            *TARGET_CASES,
        ),
        default=["pages", "api", "search", "streams", "markdown", "analytics", *TARGET_CASES],
    )
    parser.add_argument(
        "--search-posts", type=int, nargs="+", default=[10_000, 100_000],
        help="database sizes of the search case",
    )  # fmt: skip
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server for the search case's databases ('' for SQLite only)",
    )  # fmt: skip
    parser.add_argument(
        "--streams", type=int, nargs="+", default=[100, 500], help="open streams (0 is added)"
    )
    parser.add_argument("--servers", nargs="+", choices=WORKER_CLASSES, default=WORKER_CLASSES)
    parser.add_argument(
        "--stream-threads", type=int, default=int(DEFAULTS["SERVER_THREADS"]),
        help="threads per gthread worker in the streams case (default: Inkstand's)",
    )  # fmt: skip
    parser.add_argument(
        "--logins", action=argparse.BooleanOptionalAction, default=True,
        help="in the streams case, also load the post page while readers log in",
    )  # fmt: skip
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/0",
        help="event bus of the streams case, if it answers ('' for the in-process bus)",
    )  # fmt: skip
    parser.add_argument(
        "--retries", type=int, default=4, help="measured runs that may be repeated in all"
    )
    parser.add_argument("--deadline", type=int, default=900, help="give up after N seconds")
    opts = parser.parse_args(argv)
    opts.redis_used = ""
    if shutil.which("wrk") is None:
        print("wrk is not installed: `apt-get install -y wrk` (make bench does it)")
        return 2

    # Ctrl-C raises KeyboardInterrupt even where a parent shell had SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    signal.signal(signal.SIGALRM, _deadline)
    signal.alarm(opts.deadline)
    started = time.monotonic()
    renderings = measure_markdown() if "markdown" in opts.cases else []
    if not set(opts.cases) - {"markdown"}:  # no server case
        print("\n".join(markdown_lines(renderings)))
        return 0
    try:
        with tempfile.TemporaryDirectory(prefix="inkstand-bench-") as tmp:
            results, lives, targets = run(opts, Path(tmp))
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped")
        return 130
    except SystemExit as stopped:
        print("\nstopped by a signal: servers stopped")
        return int(stopped.code or 1)
    finally:
        signal.alarm(0)
    report(results, lives, opts, time.monotonic() - started, PAGE_CACHE_SECONDS)
    if targets.results:
        floor_p99 = statistics.fmean(r.p99_ms for r in results if is_floor(r))
        print("\n".join(target_lines(targets, floor_p99)))
    if renderings:
        print("\n".join(markdown_lines(renderings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
