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

The modules beside this one: seed.py (databases), servers.py (gunicorn and /proc),
load.py (wrk), measure.py (one case), report.py (table, summary and JSON).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from measure import Result, Retries, measure
from report import compare_to_floor, report
from seed import migrate, seed
from servers import BIN, HOST, fetch, floor_command, free_port, gunicorn_args, serving

from inkstand.config import DEFAULTS

PAGE_CACHE_SECONDS = int(DEFAULTS["PAGE_CACHE_SECONDS"])  # what the cached rows run with
# Each page is measured as served from the page cache, then rendered on every request.
VARIANTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("", {}),  # Inkstand's default settings: the page cache is on
    (", rendered", {"INKSTAND_PAGE_CACHE_SECONDS": "0"}),
)


def clean_env(tmp: Path) -> dict[str, str]:
    """This environment without the caller's Inkstand or gunicorn settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("INKSTAND_") and k != "GUNICORN_CMD_ARGS"
    }
    env["INKSTAND_SECRET_KEY"] = secrets.token_hex(32)
    env["XDG_RUNTIME_DIR"] = str(tmp)  # gunicorn's control socket goes here, not in ~
    return env


def run(opts: argparse.Namespace, tmp: Path) -> list[Result]:
    env = clean_env(tmp)
    rng = random.Random(2024)
    databases: dict[int, tuple[str, str, str]] = {}
    for count in opts.posts:
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

    serve = [
        str(BIN / "inkstand"), "serve", "--workers", str(opts.workers),
        "--threads", str(opts.server_threads),
    ]  # fmt: skip
    print(f"serving with {opts.workers} workers x {opts.server_threads} threads (gthread)")

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
    for count, (url, slug, title) in databases.items():
        pages = [("home", "/", 'class="summary"'), ("post", f"/posts/{slug}", title)]
        for page, path, check in pages:
            for suffix, settings in VARIANTS:
                case = page + suffix
                server_env = {**env, "INKSTAND_DATABASE_URL": url, **settings}
                port = free_port()
                cmd = [*serve, "--bind", f"{HOST}:{port}"]
                log = tmp / f"{page}{suffix.replace(', ', '-')}-{count}.log"
                with serving(cmd, server_env, port, log) as server:
                    results.append(measure(case, count, server, path, opts, check, retries))
    results.append(floor("floor, again"))
    compare_to_floor(results)
    return results


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
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--server-threads", type=int, default=4, help="threads per worker")
    parser.add_argument(
        "--retries", type=int, default=4, help="measured runs that may be repeated in all"
    )
    parser.add_argument("--deadline", type=int, default=600, help="give up after N seconds")
    opts = parser.parse_args(argv)
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
    try:
        with tempfile.TemporaryDirectory(prefix="inkstand-bench-") as tmp:
            results = run(opts, Path(tmp))
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped")
        return 130
    except SystemExit as stopped:
        print("\nstopped by a signal: servers stopped")
        return int(stopped.code or 1)
    finally:
        signal.alarm(0)
    report(results, opts, time.monotonic() - started, PAGE_CACHE_SECONDS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
