"""The targets of "fast for everyone": every row with its ratio to the floor and its aim.

Cases (`--cases`, or `make bench BENCH="rendered apis"`):

- rendered: a logged-in reader's pages (home, a post with 30 comments, a tag, an
  author, the personal feed, page 500 of the home list), rendered on every request
  (a session cookie bypasses the page cache), on SQLite and on PostgreSQL with Redis;
- apis: /api/v1/posts, /api/articles and a post's comments (/api/v1/posts/<id>/comments),
  a client without a token, on both databases;
- cached: a visitor's home, post, tag and author pages, from the page cache;
- flat: PostgreSQL with FLAT_POSTS posts seeded in bulk with generate_series, page 1
  and a page 50,000 deep against page 1 of 100 posts, and /api/articles.

Each database is seeded in bulk and, on PostgreSQL, ANALYZEd, as autovacuum would
leave it. Each database gets one server (`inkstand serve`, its defaults but the
workers); its rows are measured one after the other, and the proportional set size
(PSS, /proc/<pid>/smaps_rollup) of every worker is read after the last.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from argon2 import PasswordHasher
from measure import Result, Retries, measure
from seed import migrate, seed
from servers import HOST, Server, free_port, serving, workers_of
from sqlalchemy import create_engine, insert, select, text, update
from streams import Commenter

from inkstand.accounts.models import Follow, Role, User
from inkstand.blog.models import Post, Status
from inkstand.comments.models import Comment
from inkstand.config import DEFAULTS
from inkstand.pagination import Cursor

CASES = ("rendered", "apis", "cached", "flat")
PASSWORD = "bench: the reader's password"  # noqa: S105 (a throwaway database)
READER = "reader"
COMMENTS = 30
POSTS = 10_000  # enough for page 500 of the home list at 10 a page
DEEP_PAGE = 500
FLAT_POSTS = int(os.environ.get("BENCH_FLAT_POSTS", "1000000"))
FLAT_DEPTH = 50_000  # pages
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
UNLIMITED_API = {
    "INKSTAND_API_LIMITS": "100000000 per minute",
    "INKSTAND_API_LIMITS_PER_ADDRESS": "100000000 per minute",
}
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
# The aims, as shares of the floor's req/s.
AIMS = {"rendered": 0.40, "apis": 0.35, "cached": 0.80}
P99_AIM = 2.0  # p99 at most this many times the floor's
PSS_WORKER_AIM = 60.0  # MB
PSS_SERVER_AIM = 300.0  # MB, all workers together
FLAT_AIM = 0.9


@dataclass
class Site:
    """A seeded database and the addresses its rows load."""

    name: str  # "sqlite", "postgresql"
    url: str
    posts: int
    slug: str
    post_id: int
    tag: str
    author: str
    deep: str  # the `before` cursor of the deep page
    deep_page: int
    redis: str = ""
    drop: str = ""  # the PostgreSQL database to drop afterwards
    prefix: str = field(default_factory=lambda: f"bench{secrets.token_hex(4)}")  # Redis keys


@dataclass
class Memory:
    label: str
    workers: list[float]  # PSS of each worker, MB
    master: float

    @property
    def total(self) -> float:
        return sum(self.workers) + self.master


@dataclass
class Targets:
    results: list[Result] = field(default_factory=list)
    memory: list[Memory] = field(default_factory=list)
    flat: list[tuple[str, Result, Result]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def pss_mb(pid: int) -> float:
    """Proportional set size of ``pid`` in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _extras(url: str, slug: str, posts: int, deep_page: int) -> tuple[int, str]:
    """A reader with a password who follows every author, 30 approved comments on the
    post ``slug``; returns its id and the cursor of page ``deep_page`` of the home list."""
    hashed = PasswordHasher(
        time_cost=int(DEFAULTS["ARGON2_TIME_COST"]), memory_cost=int(DEFAULTS["ARGON2_MEMORY_COST"])
    ).hash(PASSWORD)
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        with engine.begin() as conn:
            authors = list(conn.scalars(select(User.id)))
            conn.execute(
                insert(User.__table__),
                [{"id": 1000, "username": READER, "email": "reader@example.com",
                  "password_hash": hashed, "role": Role.READER.value,
                  "display_name": "A Reader", "bio": "", "email_confirmed_at": now,
                  "created_at": now - timedelta(days=400)}],
            )  # fmt: skip
            reader = conn.scalar(select(User.id).where(User.username == READER))
            conn.execute(
                insert(Follow.__table__),
                [{"follower_id": reader, "followed_id": a, "created_at": now} for a in authors],
            )
            post_id = conn.scalar(select(Post.id).where(Post.slug == slug))
            conn.execute(
                insert(Comment.__table__),
                [{"post_id": post_id, "author_id": reader, "depth": 0,
                  "body_source": f"Comment {n}: measured, not guessed.",
                  "body_html": f"<p>Comment {n}: measured, not guessed.</p>",
                  "status": "approved", "deleted": False,
                  "created_at": now - timedelta(minutes=COMMENTS - n)}
                 for n in range(COMMENTS)],
            )  # fmt: skip
            conn.execute(update(Post).where(Post.id == post_id).values(comment_count=COMMENTS))
            skip = (deep_page - 1) * 10 - 1
            row = conn.execute(
                select(Post.published_at, Post.id)
                .where(Post.status == Status.PUBLISHED.value)
                .order_by(Post.published_at.desc(), Post.id.desc())
                .offset(min(skip, posts - 1))
                .limit(1)
            ).one()
    finally:
        engine.dispose()
    return post_id, Cursor(row.published_at, row.id).encode()


def _create_database(name: str) -> str:
    engine = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return f"{POSTGRES}/{name}"


def drop_database(name: str) -> None:
    engine = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def _analyze(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def sqlite_site(tmp: Path, env: dict[str, str], rng: random.Random) -> Site:
    url = f"sqlite:///{tmp / 'targets.sqlite3'}"
    migrate(url, env)
    slug, _ = seed(url, POSTS, rng)
    post_id, deep = _extras(url, slug, POSTS, DEEP_PAGE)
    return Site("sqlite", url, POSTS, slug, post_id, "caching", "ada", deep, DEEP_PAGE)


def postgres_site(
    env: dict[str, str], rng: random.Random, posts: int = POSTS, bulk: bool = False
) -> Site:
    name = f"inkstand_bench_{os.getpid()}_{posts}"
    url = _create_database(name)
    try:
        migrate(url, env)
        if bulk:
            slug = _bulk(url, posts)
        else:
            slug, _ = seed(url, posts, rng)
        depth = FLAT_DEPTH if bulk else DEEP_PAGE
        post_id, deep = _extras(url, slug, posts, min(depth, max(1, posts // 10)))
        _analyze(url)
    except BaseException:
        drop_database(name)
        raise
    return Site(
        "postgresql", url, posts, slug, post_id, "caching", "ada", deep, depth,
        redis=REDIS, drop=name,
    )  # fmt: skip


BULK_TAGS = 20


def _bulk(url: str, count: int) -> str:
    """``count`` published posts by four authors, two tags each, in three statements of
    generate_series (the body short: lists never show it); returns a middle post's slug."""
    seed(url, 1, random.Random(1))  # the authors, the tags and post 1, as everywhere
    body = "A post seeded in bulk.\n\nIt says little, and says it quickly."
    html = "<p>A post seeded in bulk.</p>\n<p>It says little, and says it quickly.</p>\n"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(
                text(
                    """
                    INSERT INTO posts (id, author_id, title, slug, body_source, body_html,
                        excerpt_source, excerpt, tag_names, reading_minutes, status,
                        published_at, created_at, updated_at)
                    SELECT n, 1 + n % 4, 'Bulk post number ' || n, 'bulk-post-' || n,
                        :body, :html, '', 'A post seeded in bulk.',
                        t1.name || ',' || t2.name, 1, 'published', at, at, at
                    FROM generate_series(2, :count) AS n
                    CROSS JOIN LATERAL (SELECT now() - interval '1 hour'
                        - (:count - n) * interval '30 seconds' AS at) AS times
                    JOIN tags t1 ON t1.id = 1 + n % :tags
                    JOIN tags t2 ON t2.id = 1 + (n + 7) % :tags
                    """
                ),
                {"body": body, "html": html, "count": count, "tags": BULK_TAGS},
            )
            conn.execute(
                text(
                    """
                    INSERT INTO post_tags (post_id, tag_id)
                    SELECT n, 1 + n % :tags FROM generate_series(2, :count) AS n
                    UNION ALL
                    SELECT n, 1 + (n + 7) % :tags FROM generate_series(2, :count) AS n
                    """
                ),
                {"count": count, "tags": BULK_TAGS},
            )
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('posts', 'id'), :count)"),
                {"count": count},
            )
    finally:
        engine.dispose()
    return f"bulk-post-{count // 2}"


def server_env(env: dict[str, str], site: Site) -> dict[str, str]:
    found = {**env, **UNLIMITED_API, "INKSTAND_DATABASE_URL": site.url}
    if site.redis:
        found["INKSTAND_REDIS_URL"] = site.redis
        found["INKSTAND_REDIS_PREFIX"] = site.prefix
    return found


def forget_redis_keys(site: Site) -> None:
    """Delete what the servers of ``site`` left in the shared Redis (limits, views...)."""
    if not site.redis:
        return
    client = redis.Redis.from_url(site.redis)
    try:
        for key in client.scan_iter(f"{site.prefix}*"):
            client.delete(key)
    finally:
        client.close()


def _login(server: Server) -> dict[str, str]:
    reader = Commenter(server.port)
    reader.login(READER, PASSWORD)
    cookie = "; ".join(f"{k}={v}" for k, v in reader.cookies.items())
    return {"Cookie": cookie, "User-Agent": FIREFOX}


def _memory(label: str, server: Server) -> Memory:
    return Memory(label, [pss_mb(pid) for pid in workers_of(server.pid)], pss_mb(server.pid))


def rendered_rows(site: Site) -> list[tuple[str, str, str]]:
    return [
        ("home", "/", 'class="summary"'),
        ("post, 30 comments", f"/posts/{site.slug}", f"Comment {COMMENTS - 1}:"),
        ("tag", f"/tags/{site.tag}", 'class="summary"'),
        ("author", f"/authors/{site.author}", 'class="summary"'),
        ("personal feed", "/feed", 'class="summary"'),
        (f"home, page {site.deep_page}", f"/?before={site.deep}", 'class="summary"'),
    ]


def api_rows(site: Site) -> list[tuple[str, str, str]]:
    return [
        ("/api/v1/posts", "/api/v1/posts", '"title"'),
        ("/api/articles", "/api/articles", '"articlesCount"'),
        ("a post's comments", f"/api/v1/posts/{site.post_id}/comments", '"body_html"'),
    ]


def cached_rows(site: Site) -> list[tuple[str, str, str]]:
    return [
        ("home", "/", 'class="summary"'),
        ("post", f"/posts/{site.slug}", "Comment"),
        ("tag", f"/tags/{site.tag}", 'class="summary"'),
        ("author", f"/authors/{site.author}", 'class="summary"'),
    ]


def measure_site(
    site: Site, cases: set[str], opts: argparse.Namespace, env: dict[str, str],
    serve: list[str], retries: Retries, tmp: Path, found: Targets,
) -> None:  # fmt: skip
    """Every row of ``cases`` on one server over ``site``, then its memory."""
    port = free_port()
    log = tmp / f"targets-{site.name}-{site.posts}.log"
    cmd = [*serve, "--bind", f"{HOST}:{port}"]
    with serving(cmd, server_env(env, site), port, log) as server:
        reader = _login(server)
        visitor = {"User-Agent": FIREFOX}
        plan: list[tuple[str, str, list[tuple[str, str, str]], dict[str, str]]] = []
        if "rendered" in cases:
            plan.append(("rendered", "rendered", rendered_rows(site), reader))
        if "apis" in cases:
            plan.append(("apis", "api", api_rows(site), visitor))
        if "cached" in cases and site.name == "sqlite":
            plan.append(("cached", "cached", cached_rows(site), visitor))
        for _kind, prefix, rows, headers in plan:
            for name, path, check in rows:
                case = f"{prefix} {name} [{site.name}]"
                result = measure(case, site.posts, server, path, opts, check, retries, headers)
                found.results.append(result)
        found.memory.append(_memory(f"{site.name}, {site.posts:,} posts", server))


def measure_flat(
    small: Site, large: Site, opts: argparse.Namespace, env: dict[str, str],
    serve: list[str], retries: Retries, tmp: Path, found: Targets,
) -> None:  # fmt: skip
    """Page 1 and a deep page of the home list, and /api/articles, at both sizes."""
    runs: dict[str, dict[int, Result]] = {}
    for site in (small, large):
        port = free_port()
        log = tmp / f"flat-{site.posts}.log"
        with serving([*serve, "--bind", f"{HOST}:{port}"], server_env(env, site), port, log) as s:
            reader = _login(s)
            rows = [
                ("home page 1", "/", 'class="summary"', reader),
                (f"home page {FLAT_DEPTH:,}", f"/?before={site.deep}", 'class="summary"', reader),
                ("/api/articles", "/api/articles", '"articlesCount"', {"User-Agent": FIREFOX}),
            ]
            for name, path, check, headers in rows:
                if site is small and name.startswith(f"home page {FLAT_DEPTH:,}"):
                    continue  # 100 posts have no such page: compared with page 1
                case = f"flat {name} [postgresql]"
                result = measure(case, site.posts, s, path, opts, check, retries, headers)
                runs.setdefault(name, {})[site.posts] = result
                found.results.append(result)
            found.memory.append(_memory(f"postgresql, {site.posts:,} posts", s))
    first = runs["home page 1"][small.posts]
    for name, by_size in runs.items():
        base = by_size.get(small.posts, first)
        found.flat.append((name, base, by_size[large.posts]))


def run_targets(
    opts: argparse.Namespace, env: dict[str, str], serve: list[str], retries: Retries,
    tmp: Path, rng: random.Random,
) -> Targets:  # fmt: skip
    cases = set(opts.cases) & set(CASES)
    found = Targets()
    sites: list[Site] = []
    try:
        if cases & {"rendered", "apis", "cached"}:
            started = datetime.now(UTC)
            sqlite = sqlite_site(tmp, env, rng)
            print(f"targets: SQLite, {POSTS:,} posts, in {_since(started)}")
            measure_site(sqlite, cases, opts, env, serve, retries, tmp, found)
            if cases & {"rendered", "apis"}:
                started = datetime.now(UTC)
                pg = postgres_site(env, rng)
                sites.append(pg)
                print(f"targets: PostgreSQL, {POSTS:,} posts, analysed, in {_since(started)}")
                measure_site(pg, cases, opts, env, serve, retries, tmp, found)
        if "flat" in cases:
            started = datetime.now(UTC)
            small = postgres_site(env, rng, 100)
            sites.append(small)
            large = postgres_site(env, rng, FLAT_POSTS, bulk=True)
            sites.append(large)
            note = f"flat: PostgreSQL seeded with {FLAT_POSTS:,} posts in {_since(started)}"
            print(note)
            found.notes.append(note)
            measure_flat(small, large, opts, env, serve, retries, tmp, found)
    finally:
        for site in sites:
            drop_database(site.drop)
            forget_redis_keys(site)
    return found


def kind_of(case: str) -> str | None:
    """Which aim a row of the table answers to, by its name."""
    prefix = case.split(" ", 1)[0]
    return {"rendered": "rendered", "api": "apis", "cached": "cached"}.get(prefix)


def _since(started: datetime) -> str:
    return f"{(datetime.now(UTC) - started).total_seconds():.0f}s"


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def target_lines(found: Targets, floor_p99: float) -> list[str]:
    """Every target row: its figure, its aim, met or not."""
    rows: list[tuple[str, ...]] = [("target", "row", "figure", "aim", "")]
    names = {"rendered": "rendered, logged in", "apis": "API list", "cached": "cached visitor"}
    for result in found.results:
        kind = kind_of(result.case)
        if kind is None:
            continue
        ratio, aim = result.ratio_to_floor or 0.0, AIMS[kind]
        per_cpu = result.cpu_ratio_to_floor or 0.0
        rows.append((names[kind], result.case, f"{ratio:.0%} ({per_cpu:.0%} per CPU)",
                     f">= {aim:.0%}", _verdict(ratio >= aim)))  # fmt: skip
    for result in found.results:
        ratio = result.p99_ms / floor_p99
        rows.append(("p99 vs floor", result.case, f"{ratio:.2f}x ({result.p99_ms:.0f} ms)",
                     f"<= {P99_AIM:.0f}x", _verdict(ratio <= P99_AIM)))  # fmt: skip
    for memory in found.memory:
        worst = max(memory.workers, default=0.0)
        rows.append(("PSS per worker", memory.label,
                     f"{worst:.1f} MB (of {len(memory.workers)})",
                     f"<= {PSS_WORKER_AIM:.0f} MB", _verdict(worst <= PSS_WORKER_AIM)))  # fmt: skip
        total = memory.total
        rows.append(("PSS, server", memory.label, f"{total:.1f} MB",
                     f"< {PSS_SERVER_AIM:.0f} MB", _verdict(total < PSS_SERVER_AIM)))  # fmt: skip
    for name, small, large in found.flat:
        ratio = large.requests_per_s / small.requests_per_s
        rows.append(("flat", f"{name} at {large.posts:,} vs {small.case} at {small.posts:,}",
                     f"{ratio:.2f}x", f">= {FLAT_AIM}x", _verdict(ratio >= FLAT_AIM)))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    met = sum(1 for r in rows[1:] if r[-1] == "met")
    return [
        "",
        "Targets (issue 'Fast for everyone'): ratios to the floor's req/s and p99 in this "
        "run (per CPU: requests per CPU-second of the server against the floor's, steadier "
        "on a busy machine); PSS read after each server's last row (server: master and "
        "workers).",
        *found.notes,
        *lines,
        f"{met} of {len(rows) - 1} aims met.",
    ]
