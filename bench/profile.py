"""Where a rendered page spends its time: pyinstrument over many requests in-process.

`python bench/profile.py [path ...]` seeds a SQLite database of 10,000 posts (as
`make bench` does, with a reader who follows every author and 30 comments on a
post), logs the reader in through Flask's test client and renders each page
REQUESTS times under pyinstrument; prints the time per request and the profile,
cut to the frames that take at least 2% of it. Default: the home page. In a path,
`{slug}` and `{post_id}` name the post with 30 comments. A search page
(/search?q=...) gets its database indexed first (`inkstand search rebuild`).

`--visitor` asks as `make bench`'s API rows do: no log-in, no token, a browser's
User-Agent, the API limits too high to reach. `--plain` leaves the profiler out and
prints only the CPU time a request (the profiler's own overhead is not in it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pyinstrument import Profiler
from seed import clean_env, index
from targets import FIREFOX, PASSWORD, READER, UNLIMITED_API, sqlite_site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["/"])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--visitor", action="store_true", help="ask without logging in")
    parser.add_argument("--plain", action="store_true", help="time only, no profile")
    parser.add_argument("--flat", action="store_true", help="a flat profile: time by function")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="inkstand-profile-") as tmp:
        env = clean_env(Path(tmp))
        site = sqlite_site(Path(tmp), env, random.Random(2024))
        if any(path.startswith("/search") for path in opts.paths):
            index(site.url, env)  # seeded in bulk: not indexed as a post is saved
        os.environ.update(
            INKSTAND_DATABASE_URL=site.url,
            INKSTAND_SECRET_KEY=env["INKSTAND_SECRET_KEY"],
            INKSTAND_ANALYTICS_FLUSH_SECONDS="0",
            **UNLIMITED_API,
        )
        from inkstand import create_app

        app = create_app(instance_path=tmp)
        client = app.test_client()
        who = "a visitor" if opts.visitor else "a logged-in reader"
        if not opts.visitor:
            _log_in(client)
        for path in opts.paths:
            path = path.replace("{slug}", site.slug).replace("{post_id}", str(site.post_id))
            for _ in range(20):  # warm: templates compiled, caches filled
                client.get(path, headers={"User-Agent": FIREFOX})
            profiler = Profiler(interval=0.0005)
            started, cpu = time.perf_counter(), time.process_time()
            with contextlib.nullcontext() if opts.plain else profiler:
                for _ in range(opts.requests):
                    reply = client.get(path, headers={"User-Agent": FIREFOX})
            per = (time.perf_counter() - started) / opts.requests * 1000
            cpu_per = (time.process_time() - cpu) / opts.requests * 1000
            print(f"GET {path} as {who}: {reply.status_code}, {cpu_per:.2f} ms of CPU "
                  f"({per:.2f} ms of wall time) a request over {opts.requests}")  # fmt: skip
            if not opts.plain:
                print(profiler.output_text(unicode=True, color=False, show_all=False,
                                           time="percent_of_total", flat=opts.flat))  # fmt: skip
    return 0


def _log_in(client: Any) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    reply = client.post("/login", data={"csrf_token": token, "login": READER, "password": PASSWORD})
    if reply.status_code != 302:
        raise RuntimeError(f"log-in gave {reply.status_code}")


if __name__ == "__main__":
    sys.exit(main())
