"""`make bench`: Inkstand's home and post pages under gunicorn, against a bare Flask floor.

For each database size (100 and 10,000 published posts by default) a fresh SQLite
database is made with the real migrations (`inkstand db upgrade`) and filled in
bulk, in the shape the blog services write. Each case then gets a fresh
production server (`inkstand serve`: gunicorn, gthread workers) on a free
loopback port, a short warm-up and a measured `wrk` run; afterwards the peak
resident memory (VmHWM) of every worker is read from /proc. The floor is a bare
Flask app (bench/floor.py) served by the same gunicorn command line, measured
first and last; the CPU columns show what the server, wrk and everything else on
the machine used during each measured run, so a noisy machine shows itself.

Results are printed as a table and written to bench/results/latest.json.
Every server is stopped on the way out, on errors and on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import create_engine, func, insert, select

from inkstand import markup
from inkstand.accounts.models import Role, User
from inkstand.blog.models import Post, Revision, Status, Tag, post_tags
from inkstand.blog.services import slugify

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results" / "latest.json"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"  # loopback only: nothing here is ever sent off this machine
APP_SPEC = "inkstand:create_app()"
FLOOR_SPEC = "floor:app"
FLAT = 0.9  # home req/s at the largest size over the smallest: at least this is "flat"
NOISY_CPU = 0.15  # cores used by other processes during a run that make it suspect
NOISY_SPREAD = 0.15  # first and last floor runs further apart than this: suspect

AUTHORS = [
    ("ada", "Ada Lindqvist", "Writes about databases, indexes and the joy of EXPLAIN."),
    ("bram", "Bram Okafor", "Backend engineer. Queues, caches and the occasional rant."),
    ("chen", "Chen Wei", "Front of the house: HTML that works without JavaScript."),
    ("dana", "Dana Ruiz", "Operations, on-call stories and boring infrastructure."),
]
TAGS = [
    "databases", "performance", "caching", "html", "accessibility", "postgresql", "security",
    "web", "queues", "python", "css", "operations", "sqlite", "testing", "design", "flask",
    "markdown", "deployment", "monitoring", "writing",
]  # fmt: skip
TOPICS = [
    "Keyset pagination in practice",
    "Why your cache needs a budget",
    "Forms that work without JavaScript",
    "Reading an EXPLAIN plan",
    "A small guide to CSRF",
    "Sanitising HTML the boring way",
    "Background jobs without tears",
    "Dark mode with one media query",
    "Measuring before optimising",
    "Migrations you can roll forward",
]
BODY = """\
Most slow pages are slow for one boring reason, and the first job is to find it.
Guessing is cheaper than measuring only until the guess is wrong.

## The short version

The rule of thumb: do the expensive thing once, when the data changes, not every
time someone looks at it. Indexes are a trade: faster reads for slower writes and
more disk. Make the trade on purpose, with the query in front of you.

```python
def render_once(post):
    post.body_html = render_markdown(post.body_source)
    return post
```

| Approach | Cost per page |
|:--|--:|
| Once on save | 0.1 ms |
| Every request | 4 ms |

A page that needs JavaScript to show text has made a promise it cannot always keep.
Start with HTML that works; add the rest on top.[^1]

~~Premature optimisation~~ Measurement is the root of all good work.

[^1]: Measured with `make bench` on a laptop.
"""


# --------------------------------------------------------------------------- seeding


def migrate(url: str, env: dict[str, str]) -> None:
    """Create the schema with the project's own migrations."""
    done = subprocess.run(
        [str(BIN / "inkstand"), "db", "upgrade"],
        env={**env, "INKSTAND_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`inkstand db upgrade` failed:\n{done.stdout}\n{done.stderr}")


def seed(url: str, count: int, rng: random.Random) -> tuple[str, str]:
    """Fill a migrated database with ``count`` published posts, in bulk.

    Rows have the shape blog.services writes: rendered HTML, excerpt, reading time,
    tags through post_tags and a first revision. The Markdown is rendered once and
    reused. Returns the slug and title of a post in the middle of the timeline.
    """
    body_html = markup.render_markdown(BODY)
    excerpt = markup.excerpt_from(BODY)
    minutes = markup.reading_minutes(BODY)
    now = datetime.now(UTC)
    newest = now - timedelta(hours=1)
    span = timedelta(days=3 * 365)
    step = span / max(count - 1, 1)

    users = [
        {
            "id": n,
            "username": username,
            "email": f"{username}@example.com",
            "password_hash": "!bench: no password",
            "role": Role.AUTHOR.value,
            "display_name": name,
            "bio": bio,
            "created_at": newest - span - timedelta(days=30),
        }
        for n, (username, name, bio) in enumerate(AUTHORS, start=1)
    ]
    tags = [{"id": n, "name": name} for n, name in enumerate(TAGS, start=1)]
    posts: list[dict[str, Any]] = []
    links: list[dict[str, int]] = []
    revisions: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        topic = TOPICS[n % len(TOPICS)]
        title = f"{topic}, part {n}"
        author = users[n % len(users)]["id"]
        published = newest - step * (count - n) - timedelta(seconds=rng.randrange(600))
        chosen = rng.sample(tags, rng.choice((2, 3)))
        posts.append(
            {
                "id": n,
                "author_id": author,
                "title": title,
                "slug": slugify(title),
                "body_source": BODY,
                "body_html": body_html,
                "excerpt_source": "",
                "excerpt": excerpt,
                "reading_minutes": minutes,
                "status": Status.PUBLISHED.value,
                "published_at": published,
                "created_at": published,
                "updated_at": published,
            }
        )
        links.extend({"post_id": n, "tag_id": tag["id"]} for tag in chosen)
        revisions.append(
            {
                "post_id": n,
                "number": 1,
                "editor_id": author,
                "title": title,
                "body_source": BODY,
                "excerpt_source": "",
                "tags_text": ", ".join(tag["name"] for tag in chosen),
                "created_at": published,
            }
        )

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(User.__table__), users)
            conn.execute(insert(Tag.__table__), tags)
            conn.execute(insert(Post.__table__), posts)
            conn.execute(insert(post_tags), links)
            conn.execute(insert(Revision.__table__), revisions)
        with engine.connect() as conn:
            stored = conn.scalar(select(func.count()).select_from(Post.__table__))
    finally:
        engine.dispose()
    if stored != count:
        raise RuntimeError(f"seeded {stored} posts, expected {count}")
    middle = posts[count // 2]
    return middle["slug"], middle["title"]


# --------------------------------------------------------------------------- serving


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def fetch(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a gunicorn master we started, then anything left in its process group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()  # gunicorn: graceful shutdown of master and workers
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    # The server runs in its own session: its group id is the master's pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@contextlib.contextmanager
def serving(
    cmd: list[str], env: dict[str, str], port: int, log: Path, timeout: float = 30.0
) -> Iterator[Server]:
    """Run a server until the block ends, however it ends."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
        )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{tail(log)}")
            try:
                fetch(port, "/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server not up after {timeout:.0f}s:\n{tail(log)}"
                    ) from None
                time.sleep(0.1)
        yield Server(proc, port, log)
    finally:
        stop(proc)


def gunicorn_args(master: int) -> list[str]:
    """The arguments `inkstand serve` gave gunicorn, read back from the running master."""
    argv = Path(f"/proc/{master}/cmdline").read_bytes().rstrip(b"\0").decode().split("\0")
    starts = [i for i, arg in enumerate(argv) if Path(arg).name == "gunicorn"]
    if not starts or argv[-1] != APP_SPEC:
        raise RuntimeError(f"unexpected gunicorn command line: {argv}")
    return argv[starts[0] + 1 : -1]


def floor_command(app_args: list[str], port: int) -> list[str]:
    """The app's gunicorn command line with only the bind address and the app swapped."""
    args = list(app_args)
    args[args.index("--bind") + 1] = f"{HOST}:{port}"
    return [str(BIN / "gunicorn"), *args, "--pythonpath", str(BENCH), FLOOR_SPEC]


def workers_of(master: int) -> list[int]:
    """Pids of the processes whose parent is ``master`` (gunicorn's workers)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) / 1024 if match else None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU time the whole machine has spent busy (steal included), all cores together."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields)
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def process_seconds(pids: list[int]) -> float:
    """CPU time used so far by these processes (every thread), in seconds."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def children_seconds() -> float:
    """CPU time of the child processes this one has waited for (wrk runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- load


@dataclass
class Load:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors plus non-2xx/3xx responses


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> Load:
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if not match:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
        return match

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Load(
        requests_per_s=float(find(r"^Requests/sec:\s+([\d.]+)")[1]),
        p50_ms=_ms(find(r"^\s+50%\s+(\S+)")[1]),
        p99_ms=_ms(find(r"^\s+99%\s+(\S+)")[1]),
        requests=int(find(r"^\s+(\d+) requests in")[1]),
        errors=errors + (int(bad[1]) if bad else 0),
    )


def wrk(
    url: str, seconds: int, threads: int, connections: int,
    midway: Callable[[], list[int]] | None = None,
) -> tuple[Load, list[int]]:  # fmt: skip
    """Load ``url`` for ``seconds``; ``midway`` is called halfway through, its answer returned."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    proc = subprocess.Popen(
        [*cmd, "--latency", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        seen: list[int] = []
        if midway is not None:
            time.sleep(seconds / 2)
            seen = midway()
        out, err = proc.communicate(timeout=seconds + 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out}\n{err}")
    return parse_wrk(out), seen


def connection_split(port: int, workers: list[int]) -> list[int]:
    """How many established connections to ``port`` each worker holds right now."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                    inodes.add(inode)
    split = []
    for pid in workers:
        held = 0
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    held += target.startswith("socket:[") and target[8:-1] in inodes
        split.append(held)
    return split


# --------------------------------------------------------------------------- cases


@dataclass
class Result:
    case: str
    posts: int | None
    path: str
    body_bytes: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    workers: int
    rss_max_mb: float
    rss_mean_mb: float
    server_cpu_cores: float  # CPU the server used during the measured run, in cores
    wrk_cpu_cores: float
    other_cpu_cores: float  # CPU that neither used: other processes, steal
    requests_per_cpu_s: float  # req/s per core the server used: steadier on a busy machine
    connections_per_worker: list[int]  # wrk's connections each worker held, midway
    attempts: int  # measured runs made: more than one when a worker was left idle
    ratio_to_floor: float | None = None
    cpu_ratio_to_floor: float | None = None


@dataclass
class Retries:
    """Measured runs that may be repeated in the whole benchmark (keeps it bounded)."""

    left: int

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def measure(
    case: str, posts: int | None, server: Server, path: str, opts: argparse.Namespace,
    check: str, retries: Retries,
) -> Result:  # fmt: skip
    """Warm up, then one measured wrk run, repeated if a worker was left without work."""
    status, body = fetch(server.port, path)
    if status != 200 or check.encode() not in body:
        raise RuntimeError(f"{case}: GET {path} gave {status}, {len(body)} bytes, no {check!r}")
    url = f"http://{HOST}:{server.port}{path}"
    print(f"  {case:<14} {posts or '':>6}  warm-up {opts.warmup}s, measure {opts.duration}s")
    wrk(url, opts.warmup, opts.threads, opts.connections)
    workers = workers_of(server.pid)
    if len(workers) != opts.workers:
        print(f"  warning: found {len(workers)} workers under pid {server.pid}, not {opts.workers}")
    server_pids = [server.pid, *workers]
    attempts = 0
    while True:
        attempts += 1
        before = (
            time.monotonic(),
            busy_seconds(),
            process_seconds(server_pids),
            children_seconds(),
        )
        load, split = wrk(
            url, opts.duration, opts.threads, opts.connections,
            midway=lambda: connection_split(server.port, workers),
        )  # fmt: skip
        after = (time.monotonic(), busy_seconds(), process_seconds(server_pids), children_seconds())
        # gunicorn leaves it to the kernel which worker accepts a connection; when one
        # took all of wrk's, the other sat idle: measure again with fresh connections.
        if not (idle_worker(split) and retries.take()):
            break
        print(f"  {'':<14} {'':>6}  a worker held no connection ({_split(split)}): again")
    wall, busy, served, waited = (b - a for a, b in zip(before, after, strict=True))
    peaks = [mb for mb in map(peak_rss_mb, workers) if mb is not None]
    return Result(
        case=case, posts=posts, path=path, body_bytes=len(body),
        requests_per_s=load.requests_per_s, p50_ms=load.p50_ms, p99_ms=load.p99_ms,
        requests=load.requests, errors=load.errors, workers=len(peaks),
        rss_max_mb=max(peaks, default=0.0), rss_mean_mb=statistics.fmean(peaks) if peaks else 0.0,
        server_cpu_cores=served / wall, wrk_cpu_cores=waited / wall,
        other_cpu_cores=max(0.0, busy - served - waited) / wall,
        requests_per_cpu_s=load.requests_per_s * wall / served if served else 0.0,
        connections_per_worker=split, attempts=attempts,
    )  # fmt: skip


def idle_worker(split: list[int]) -> bool:
    return len(split) > 1 and min(split) == 0


def _split(split: list[int]) -> str:
    return "/".join(map(str, split))


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
    shown = body.count(b'class="summary"')
    if status != 200 or shown != min(10, largest):
        raise RuntimeError(f"home page gave {status} with {shown} posts, not 10")
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
        server_env = {**env, "INKSTAND_DATABASE_URL": url}
        pages = [("home", "/", 'class="summary"'), ("post", f"/posts/{slug}", title)]
        for case, path, check in pages:
            port = free_port()
            cmd = [*serve, "--bind", f"{HOST}:{port}"]
            with serving(cmd, server_env, port, tmp / f"{case}-{count}.log") as server:
                results.append(measure(case, count, server, path, opts, check, retries))
    results.append(floor("floor, again"))

    reference, per_cpu = floor_rate(results), floor_cpu_rate(results)
    for result in results:
        result.ratio_to_floor = result.requests_per_s / reference
        result.cpu_ratio_to_floor = result.requests_per_cpu_s / per_cpu
    return results


def floor_rate(results: list[Result]) -> float:
    """The floor's req/s: the mean of its runs."""
    return statistics.fmean(r.requests_per_s for r in results if r.posts is None)


def floor_cpu_rate(results: list[Result]) -> float:
    """The floor's requests per CPU second of the server: the mean of its runs."""
    return statistics.fmean(r.requests_per_cpu_s for r in results if r.posts is None)


# --------------------------------------------------------------------------- report


def table(results: list[Result]) -> str:
    header = (
        "case", "posts", "req/s", "p50 ms", "p99 ms", "RSS max MB", "RSS mean MB",
        "vs floor", "KB", "errors", "conns", "CPU server", "CPU other", "req/CPU-s",
        "vs floor/CPU",
    )  # fmt: skip
    rows = [header] + [
        (
            r.case,
            f"{r.posts:,}" if r.posts is not None else "-",
            f"{r.requests_per_s:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.rss_max_mb:.1f}",
            f"{r.rss_mean_mb:.1f}",
            f"{r.ratio_to_floor:.0%}" if r.ratio_to_floor is not None else "-",
            f"{r.body_bytes / 1024:.1f}",
            str(r.errors),
            _split(r.connections_per_worker),
            f"{r.server_cpu_cores:.2f}",
            f"{r.other_cpu_cores:.2f}",
            f"{r.requests_per_cpu_s:,.0f}",
            f"{r.cpu_ratio_to_floor:.0%}" if r.cpu_ratio_to_floor is not None else "-",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _name(result: Result) -> str:
    return result.case + (f" at {result.posts:,}" if result.posts is not None else "")


def summary(results: list[Result]) -> dict[str, Any]:
    home = sorted((r for r in results if r.case == "home"), key=lambda r: r.posts or 0)
    floors = [r.requests_per_s for r in results if r.posts is None]
    found: dict[str, Any] = {
        "floor_requests_per_s": floor_rate(results),
        "floor_spread": (max(floors) - min(floors)) / statistics.fmean(floors),
        "max_other_cpu_cores": max(r.other_cpu_cores for r in results),
        "repeated_runs": [_name(r) for r in results if r.attempts > 1],
        "idle_worker_runs": [_name(r) for r in results if idle_worker(r.connections_per_worker)],
    }
    if len(home) >= 2:
        small, large = home[0], home[-1]
        ratio = large.requests_per_s / small.requests_per_s
        cpu_ratio = large.requests_per_cpu_s / small.requests_per_cpu_s
        found["home_flatness"] = {
            "from_posts": small.posts,
            "to_posts": large.posts,
            "ratio": ratio,
            "cpu_ratio": cpu_ratio,
            "flat": ratio >= FLAT,
            "flat_per_cpu": cpu_ratio >= FLAT,
        }
    found["home_below_40pct_of_floor"] = any((r.ratio_to_floor or 0) < 0.4 for r in home)
    return found


def report(results: list[Result], opts: argparse.Namespace, elapsed: float) -> None:
    print()
    print(
        f"wrk -t{opts.threads} -c{opts.connections} -d{opts.duration}s --latency "
        f"(after a {opts.warmup}s warm-up); gunicorn gthread, {opts.workers} workers x "
        f"{opts.server_threads} threads; {os.cpu_count()} cores; SQLite"
    )
    print()
    print(table(results))
    print()
    found = summary(results)
    print(
        f"Floor: {found['floor_requests_per_s']:,.0f} req/s, the mean of its first and last "
        f"runs ({found['floor_spread']:.0%} apart); 'vs floor' divides by it."
    )
    flat = found.get("home_flatness")
    if flat:
        verdict = "flat" if flat["flat"] else "NOT flat"
        cpu_verdict = "flat" if flat["flat_per_cpu"] else "NOT flat"
        print(
            f"Home page from {flat['from_posts']:,} to {flat['to_posts']:,} posts: "
            f"{flat['ratio']:.2f}x the req/s ({verdict}), {flat['cpu_ratio']:.2f}x the "
            f"req/CPU-s ({cpu_verdict}); flat means >= {FLAT:.2f}x"
        )
    for r in results:
        if r.case == "home" and r.ratio_to_floor is not None and r.ratio_to_floor < 0.4:
            print(
                f"Home page at {r.posts:,} posts is {r.ratio_to_floor:.0%} of the floor's req/s "
                f"(< 40%), {r.cpu_ratio_to_floor or 0:.0%} of its req/CPU-s"
            )
    if any(r.errors for r in results):
        print("WARNING: some runs had socket errors or non-2xx/3xx responses (see 'errors')")
    if found["repeated_runs"]:
        print(
            "Repeated because a worker held none of wrk's connections (the kernel, not "
            f"gunicorn, spreads them): {', '.join(found['repeated_runs'])}"
        )
    if found["idle_worker_runs"]:
        print(
            f"Note: a worker sat idle in {', '.join(found['idle_worker_runs'])} (see 'conns'): "
            "there req/s shows one core, not two; req/CPU-s is unaffected"
        )
    if found["max_other_cpu_cores"] > NOISY_CPU or found["floor_spread"] > NOISY_SPREAD:
        print(
            "WARNING: the machine was not quiet (other processes used up to "
            f"{found['max_other_cpu_cores']:.2f} cores; the floor moved "
            f"{found['floor_spread']:.0%}): compare these numbers with care, or rerun"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {
            "wrk": {
                "threads": opts.threads,
                "connections": opts.connections,
                "duration_s": opts.duration,
                "warmup_s": opts.warmup,
            },
            "gunicorn": {
                "worker_class": "gthread",
                "workers": opts.workers,
                "threads": opts.server_threads,
            },
            "database": "sqlite",
            "cores": os.cpu_count(),
            "python": platform.python_version(),
        },
        "results": [asdict(r) for r in results],
        "summary": found,
        "elapsed_s": round(elapsed, 1),
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print(f"Results written to {RESULTS.relative_to(BENCH.parent)} ({elapsed:.0f}s in all)")


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
    report(results, opts, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
