"""Memory of a server after the pages a `make bench` run loads: where each worker's goes.

Starts `inkstand serve --workers 2` on a database seeded as bench/targets.py seeds
it (SQLite, or PostgreSQL with Redis), reads /proc/<pid>/smaps_rollup of the master
and of each worker once the server is up, then loads every page the targets load
(a logged-in reader's rendered pages, the APIs, a visitor's cached pages) with wrk
and reads it again:

    .venv/bin/python bench/memory.py                      # SQLite, 10,000 posts
    .venv/bin/python bench/memory.py --database postgresql
    .venv/bin/python bench/memory.py --env MALLOC_ARENA_MAX=4   # one setting against another

``--keep DIR`` keeps the seeded SQLite database in DIR and reuses it next time, so
that runs compared with each other load the same rows.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

from load import wrk
from seed import clean_env
from servers import BIN, HOST, free_port, process_seconds, serving, workers_of
from targets import (
    Site,
    _login,
    api_rows,
    cached_rows,
    drop_database,
    forget_redis_keys,
    postgres_site,
    rendered_rows,
    server_env,
    sqlite_site,
)

FIELDS = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Shared_Clean", "Shared_Dirty", "Private_Dirty")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def rollup(pid: int) -> dict[str, float]:
    """The fields of ``pid``'s smaps_rollup that tell shared from private, in MB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in FIELDS:
            found[name] = int(rest.split()[0]) / 1024
    return found


def mappings(pid: int, top: int = 12) -> None:
    """The mappings of ``pid`` holding the most private dirty memory."""
    found: list[tuple[float, str]] = []
    name = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if "-" in head[0] and not head[0].endswith(":"):
            name = " ".join([head[0], *head[5:]]) if len(head) > 5 else f"{head[0]} [anon]"
        elif head[0] == "Private_Dirty:":
            found.append((int(head[1]) / 1024, name))
    found.sort(reverse=True)
    print(f"  largest private mappings of {pid}, MB:")
    for size, where in found[:top]:
        print(f"    {size:8.1f}  {where}")


def report(label: str, master: int) -> float:
    """Print each process's figures; return the whole server's PSS."""
    print(f"\n{label}")
    print(f"  {'process':<10}" + "".join(f"{name:>14}" for name in FIELDS))
    total = 0.0
    for name, pid in [("master", master)] + [
        (f"worker {n}", pid) for n, pid in enumerate(workers_of(master), 1)
    ]:
        figures = rollup(pid)
        total += figures["Pss"]
        threads = len(list(Path(f"/proc/{pid}/task").iterdir()))
        columns = "".join(f"{figures[f]:>14.1f}" for f in FIELDS)
        print(f"  {name:<10}{columns}  {threads} threads")
    print(f"  server PSS (master and workers): {total:.1f} MB")
    return total


def load(
    site: Site, master: int, reader: dict[str, str], seconds: int, connections: int, port: int
) -> None:
    """wrk on every page in turn; prints its requests per second and per CPU-second of
    the server (master and workers)."""
    visitor = {"User-Agent": FIREFOX}
    plan = [(path, reader) for _, path, _ in rendered_rows(site)]
    plan += [(path, visitor) for _, path, _ in api_rows(site)]
    if site.name == "sqlite":
        plan += [(path, visitor) for _, path, _ in cached_rows(site)]
    for path, headers in plan:
        server = [master, *workers_of(master)]
        used = process_seconds(server)
        result, _ = wrk(f"http://{HOST}:{port}{path}", seconds, 2, connections, headers=headers)
        per_cpu = result.requests / max(process_seconds(server) - used, 0.01)
        print(
            f"  {path[:50]:<50} {result.requests_per_s:7.0f} req/s {per_cpu:7.0f} per CPU-second"
            f", {result.errors} errors"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=3, help="wrk run per page")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--keep", type=Path, help="folder keeping the seeded SQLite database")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server")
    parser.add_argument("--mappings", action="store_true", help="a worker's largest mappings")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="inkstand-memory-") as folder:
        tmp = Path(folder)
        env = clean_env(tmp)
        rng = random.Random(2024)
        site = _site(opts, tmp, env, rng)
        try:
            port = free_port()
            serve = [str(BIN / "inkstand"), "serve", "--workers", str(opts.workers)]
            found = {**server_env(env, site), **dict(e.split("=", 1) for e in opts.env)}
            cmd = [*serve, "--bind", f"{HOST}:{port}"]
            with serving(cmd, found, port, tmp / "memory.log") as server:
                report(f"{site.name}, {site.posts:,} posts: started", server.pid)
                load(site, server.pid, _login(server), opts.seconds, opts.connections, port)
                report(f"{site.name}, {site.posts:,} posts: after the pages", server.pid)
                if opts.mappings:
                    mappings(workers_of(server.pid)[0])
        finally:
            if site.drop:
                drop_database(site.drop)
            forget_redis_keys(site)
    return 0


def _site(opts: argparse.Namespace, tmp: Path, env: dict[str, str], rng: random.Random) -> Site:
    if opts.database == "postgresql":
        return postgres_site(env, rng)
    if opts.keep is None:
        return sqlite_site(tmp, env, rng)
    kept = opts.keep / "targets.sqlite3"
    if not kept.exists():
        opts.keep.mkdir(parents=True, exist_ok=True)
        site = sqlite_site(opts.keep, env, rng)
        (opts.keep / "site.json").write_text(json.dumps(site.__dict__))
    site = Site(**json.loads((opts.keep / "site.json").read_text()))
    shutil.copy(kept, tmp / "targets.sqlite3")
    site.url = f"sqlite:///{tmp / 'targets.sqlite3'}"
    return site


if __name__ == "__main__":
    sys.exit(main())
