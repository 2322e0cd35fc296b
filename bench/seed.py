"""Seeding: a fresh SQLite database, migrated and filled in bulk.

The schema comes from the project's own migrations (`inkstand db upgrade`); the
rows are inserted in bulk, in the shape the blog services write, so that 10,000
posts take seconds rather than the minutes the services would need.
"""

from __future__ import annotations

import os
import random
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from inkstand import markup
from inkstand.accounts.models import Role, User
from inkstand.blog.models import Post, Revision, Status, Tag, post_tags
from inkstand.blog.services.posts import slugify

INKSTAND = Path(sys.executable).parent / "inkstand"

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


def migrate(url: str, env: dict[str, str]) -> None:
    """Create the schema with the project's own migrations."""
    done = subprocess.run(
        [str(INKSTAND), "db", "upgrade"],
        env={**env, "INKSTAND_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`inkstand db upgrade` failed:\n{done.stdout}\n{done.stderr}")


def index(url: str, env: dict[str, str]) -> None:
    """Fill the search index, as an operator would after a bulk load."""
    done = subprocess.run(
        [str(INKSTAND), "search", "rebuild"],
        env={**env, "INKSTAND_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`inkstand search rebuild` failed:\n{done.stdout}\n{done.stderr}")
    analyse(url)


def analyse(url: str) -> None:
    """Refresh the planner's statistics after the bulk load, as an operator would: on
    PostgreSQL a table loaded in bulk and never analysed is planned as if empty."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def seed(url: str, count: int, rng: random.Random) -> tuple[str, str]:
    """Fill a migrated database with ``count`` published posts, in bulk.

    Rows have the shape blog.services writes: rendered HTML, excerpt, reading time,
    tags through post_tags (and in posts.tag_names, where the model has that
    column) and a first revision. The Markdown is rendered once and reused.
    Returns the slug and title of a post in the middle of the timeline.
    """
    body_html = markup.render_markdown(BODY)
    excerpt = markup.excerpt_from(BODY)
    minutes = markup.reading_minutes(BODY)
    now = datetime.now(UTC)
    newest = now - timedelta(hours=1)
    span = timedelta(days=3 * 365)
    step = span / max(count - 1, 1)
    tag_names = "tag_names" in Post.__table__.c  # the tags, denormalised for lists

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
    tags: list[dict[str, Any]] = [{"id": n, "name": name} for n, name in enumerate(TAGS, start=1)]
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
        if tag_names:
            posts[-1]["tag_names"] = ",".join(tag["name"] for tag in chosen)
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


@contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database ``name`` on the server of ``server_url`` (a
    database URL whose user may create databases), dropped on the way out."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_answers(server_url: str) -> bool:
    """Whether a PostgreSQL server answers at ``server_url``."""
    engine = create_engine(server_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure to reach it: the case runs on SQLite only
        return False
    finally:
        engine.dispose()
