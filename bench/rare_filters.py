"""Lists filtered by a rare, an unknown and a common tag or author, at scale, on PostgreSQL.

`python bench/rare_filters.py seed [--posts N]` seeds the database `inkstand_rare`
in bulk (bench/targets.py's flat seeder: four authors, twenty tags on a tenth of the
posts each), then gives the oldest post a tag of its own (`rare`) and the next one
an author of her own (`rarely`), and analyses.

`python bench/rare_filters.py explain` serves each filtered list once in-process
(the test client) against that database, and runs EXPLAIN ANALYZE on every
statement it sent that reads posts: with the values it ran with (a custom plan), and
prepared with `plan_cache_mode = force_generic_plan` (the plan psycopg's prepared
statements may get after five runs, blind to the values). Prints the slowest of
each request's statements, in ms.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import sys
import tempfile
from datetime import datetime
from typing import Any

from psycopg.sql import Literal
from sqlalchemy import MetaData, create_engine, event, insert, select, text

NAME = "inkstand_rare"

PATHS = [
    "/api/articles?tag=rare",
    "/api/articles?tag=no-such-tag",
    "/api/articles?tag=caching",
    "/api/articles?author=rarely",
    "/api/v1/posts?tag=rare",
    "/api/v1/posts?tag=no-such-tag",
    "/api/v1/posts?tag=caching",
    "/api/v1/posts?author=rarely",
    "/api/articles?tag=spread",
    "/api/articles?tag=oldest",
    "/tags/rare",
    "/tags/spread",
    "/tags/oldest",
    "/tags/caching",
    "/authors/rarely",
    "/authors/ada",
]


def seed_rare(posts: int) -> str:
    from targets import _analyze, _bulk, _create_database, migrate

    env = {k: v for k, v in os.environ.items() if not k.startswith("INKSTAND_")}
    env["INKSTAND_SECRET_KEY"] = secrets.token_hex(32)
    url = _create_database(NAME)
    migrate(url, env)
    _bulk(url, posts)
    _rare_rows(url)
    _analyze(url)
    return url


def _rare_rows(url: str) -> None:
    """A tag only the oldest post carries, and an author who wrote only the next one."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine, only=["users", "tags", "post_tags", "posts"])
        users = meta.tables["users"]
        with engine.begin() as conn:
            first = dict(conn.execute(select(users).where(users.c.id == 1)).mappings().one())
            last = conn.execute(text("SELECT max(id) FROM users")).scalar_one()
            first.update(id=last + 1, username="rarely", email="rarely@example.org")
            author = conn.execute(insert(users).values(first).returning(users.c.id)).scalar_one()
            tag = conn.execute(
                text(
                    "INSERT INTO tags (id, name) SELECT max(id) + 1, 'rare' FROM tags RETURNING id"
                )
            )
            conn.execute(text("INSERT INTO post_tags VALUES (2, :t)"), {"t": tag.scalar_one()})
            conn.execute(text("UPDATE posts SET author_id = :a WHERE id = 3"), {"a": author})
    finally:
        engine.dispose()


def _positional(sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    """``sql`` in psycopg's named style as PREPARE's $n, and the values in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    return re.sub(r"%\((\w+)\)s", number, sql), [params[n] for n in names]


def _pg_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, datetime):
        return "timestamptz"
    return "text"


def _app_settings(url: str) -> None:
    """The app's settings for an in-process run on ``url``: no periodic work, no page
    cache, no limit within reach."""
    os.environ.update(
        INKSTAND_DATABASE_URL=url,
        INKSTAND_SECRET_KEY=secrets.token_hex(32),
        INKSTAND_ANALYTICS_FLUSH_SECONDS="0",
        INKSTAND_NEWSLETTER_SWEEP_SECONDS="0",  # the bulk posts were never mailed
        INKSTAND_TRASH_PURGE_SECONDS="0",
        INKSTAND_PAGE_CACHE_SECONDS="0",
        INKSTAND_API_LIMITS="100000000 per minute",
        INKSTAND_API_LIMITS_PER_ADDRESS="100000000 per minute",
    )


def explain(url: str) -> None:
    _app_settings(url)
    from inkstand import create_app
    from inkstand.extensions import db

    sent: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(instance_path=tmp)
        client = app.test_client()
        with app.app_context():

            @event.listens_for(db.engine, "before_cursor_execute")
            def keep(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
                if sql.lstrip().upper().startswith(("SELECT", "WITH")) and "posts" in sql:
                    sent.append((sql, dict(params or {})))

            raw = create_engine(url, isolation_level="AUTOCOMMIT")
            for path in PATHS:
                sent.clear()
                reply = client.get(path)
                statements = list(sent)
                worst: dict[str, float] = {"custom": 0.0, "generic": 0.0}
                with raw.connect() as conn:
                    driver = conn.connection.driver_connection
                    driver.prepare_threshold = None
                    cur = driver.cursor()
                    times: list[str] = []
                    for sql, params in statements:
                        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                        custom = cur.fetchone()[0][0]["Execution Time"]
                        numbered, values = _positional(sql, params)
                        cur.execute("SET plan_cache_mode = force_generic_plan")
                        types = ", ".join(_pg_type(v) for v in values)
                        cur.execute(f"PREPARE q ({types}) AS " + numbered, prepare=False)
                        args = ", ".join(Literal(v).as_string(cur) for v in values)
                        cur.execute(
                            f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE q({args})"
                            if values
                            else "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE q"
                        )
                        generic = cur.fetchone()[0][0]["Execution Time"]
                        cur.execute("RESET plan_cache_mode")
                        cur.execute("DEALLOCATE q")
                        times.append(f"{custom:.1f}/{generic:.1f}")
                        if os.environ.get("RARE_FILTERS_SQL"):
                            print(f"-- {custom:.1f}/{generic:.1f} ms\n{sql}\n", flush=True)
                        worst["custom"] = max(worst["custom"], custom)
                        worst["generic"] = max(worst["generic"], generic)
                print(
                    f"{path:36} {reply.status_code}  {len(statements)} statements on posts,"
                    f" slowest: {worst['custom']:9.2f} ms (custom plan)"
                    f" {worst['generic']:9.2f} ms (generic plan); each: {' '.join(times)}",
                    flush=True,
                )
            raw.dispose()


def timed(url: str, requests: int) -> None:
    """Each list ``requests`` times through the test client: wall and CPU time of the
    last three (past psycopg's fifth run of a statement, when it prepares it)."""
    import time

    _app_settings(url)
    from inkstand import create_app

    with tempfile.TemporaryDirectory() as tmp:
        client = create_app(instance_path=tmp).test_client()
        for path in PATHS:
            walls, cpus = [], []
            for _ in range(requests):
                wall, cpu = time.perf_counter(), time.process_time()
                status = client.get(path).status_code
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
            last = sorted(walls[-3:])[1], sorted(cpus[-3:])[1]
            print(f"{path:36} {status}  {last[0]:9.1f} ms wall {last[1]:7.1f} ms CPU", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["seed", "explain", "time"])
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--posts", type=int, default=1_000_000)
    opts = parser.parse_args(argv)
    from targets import POSTGRES

    url = f"{POSTGRES}/{NAME}"
    if opts.step == "seed":
        seed_rare(opts.posts)
    elif opts.step == "time":
        timed(url, opts.requests)
    else:
        explain(url)
    return 0


if __name__ == "__main__":
    random.seed(1)
    sys.exit(main())
