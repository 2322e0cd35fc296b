"""Demo content: a few writers, about thirty posts, some comments, follows and
favourites, two pages in the header's menu, to try every screen at once; and its
removal (`inkstand demo --clear`), which takes exactly the accounts the demo made
(``User.demo``) and what they own."""

from __future__ import annotations

import random
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, or_, select, update

from inkstand.accounts import services as accounts
from inkstand.accounts.models import Role, User
from inkstand.accounts.passwords import Passwords
from inkstand.blog.models import Post, Status, Tag, post_tags
from inkstand.blog.services import favourites, posts
from inkstand.comments import services as comments
from inkstand.comments.models import Comment, CommentStatus
from inkstand.db import DbSession, utcnow
from inkstand.exceptions import Forbidden
from inkstand.pages import menu
from inkstand.pages import services as pages
from inkstand.pages.models import Page, PageRevision

WRITERS = [
    ("ada", "Ada Lindqvist", "Writes about databases, indexes and the joy of EXPLAIN."),
    ("bram", "Bram Okafor", "Backend engineer. Queues, caches and the occasional rant."),
    ("chen", "Chen Wei", "Front of the house: HTML that works without JavaScript."),
]

TOPICS = [
    ("Keyset pagination in practice", ["databases", "performance"], "sql"),
    ("Why your cache needs a budget", ["caching", "performance"], "python"),
    ("Forms that work without JavaScript", ["html", "accessibility"], "html"),
    ("Reading an EXPLAIN plan", ["databases", "postgresql"], "sql"),
    ("A small guide to CSRF", ["security", "web"], "python"),
    ("Sanitising HTML the boring way", ["security", "html"], "python"),
    ("Background jobs without tears", ["queues", "python"], "python"),
    ("Dark mode with one media query", ["css", "accessibility"], "css"),
    ("Measuring before optimising", ["performance"], "bash"),
    ("Migrations you can roll forward", ["databases", "operations"], "python"),
]

PARAGRAPHS = [
    "Most slow pages are slow for one boring reason, and the first job is to find it. "
    "Guessing is cheaper than measuring only until the guess is wrong.",
    "The rule of thumb: do the expensive thing once, when the data changes, not every "
    "time someone looks at it.",
    "A page that needs JavaScript to show text has made a promise it cannot always keep. "
    "Start with HTML that works; add the rest on top.",
    "Every input is hostile until proven otherwise, and *proven* is doing a lot of work in "
    "that sentence.",
    "Indexes are a trade: faster reads for slower writes and more disk. Make the trade on "
    "purpose, with the query in front of you.",
]

SNIPPETS = {
    "sql": "SELECT id, title FROM posts\nWHERE (published_at, id) < (:at, :id)\n"
    "ORDER BY published_at DESC, id DESC\nLIMIT 10;",
    "python": "def render_once(post):\n    post.body_html = render_markdown(post.body_source)\n"
    "    return post",
    "html": '<form method="post" action="/comments">\n  <label for="body">Comment</label>\n'
    '  <textarea id="body" name="body"></textarea>\n</form>',
    "css": "@media (prefers-color-scheme: dark) {\n  :root { --bg: #111; --fg: #eee; }\n}",
    "bash": "make bench\nwrk -t2 -c16 -d10s --latency http://127.0.0.1:8000/",
}


PAGES = [
    ("About", "about",
     "Three people who build web backends for a living, writing down what they learn "
     "on the way: databases, queues, caches, and HTML that works without JavaScript.\n\n"
     "New posts come out about once a week. Subscribe at the foot of any page to get "
     "them by e-mail, or follow the [feed](/rss.xml)."),
    ("Colophon", "colophon",
     "This site runs on **Inkstand**: Flask, SQLAlchemy and Jinja, on SQLite. Pages are "
     "rendered on the server and kept in a page cache; comments arrive live over "
     "server-sent events.\n\nNo cookies follow you here, and page views are counted "
     "without one."),
]  # fmt: skip


def is_loaded(session: DbSession) -> bool:
    return bool(session.scalar(select(func.count(User.id))))


def _body(rng: random.Random, language: str) -> str:
    chosen = rng.sample(PARAGRAPHS, 3)
    return (
        f"{chosen[0]}\n\n## The short version\n\n{chosen[1]}\n\n"
        f"```{language}\n{SNIPPETS[language]}\n```\n\n"
        "| Approach | Cost per page |\n|:--|--:|\n| Once on save | 0.1 ms |\n"
        "| Every request | 4 ms |\n\n"
        f"{chosen[2]}[^1]\n\n~~Premature optimisation~~ Measurement is the root of all "
        "good work.\n\n[^1]: Measured with `make bench` on a laptop.\n"
    )


def load(
    session: DbSession, passwords: Passwords, admin_password: str, reserved: Collection[str]
) -> None:
    """Create the demo admin, three writers, thirty posts of varied states, and two
    pages linked from the menu. ``reserved``: the addresses the site's routes answer."""
    rng = random.Random(7)  # noqa: S311 - demo text, not security
    admin = accounts.create_admin(session, passwords, "admin", "admin@example.com", admin_password)
    writers: list[User] = [admin]
    for username, name, bio in WRITERS:
        user = accounts.register(
            session, passwords, username, f"{username}@example.com", admin_password + username,
            registration_open=True, new_account_role=Role.AUTHOR.value, confirmed=True,
        )  # fmt: skip
        profile = accounts.AccountChanges(display_name=name, bio=bio)
        accounts.update_account(session, passwords, user, profile)
        writers.append(user)

    start = utcnow() - timedelta(days=90)
    written: list[Post] = []
    for n in range(30):
        title, tags, language = TOPICS[n % len(TOPICS)]
        if n >= len(TOPICS):
            title = f"{title}, part {n // len(TOPICS) + 1}"
        status, when = _state(n, start)
        post = posts.create_post(
            session,
            writers[n % len(writers)],
            posts.PostChanges(
                title=title,
                body=_body(rng, language),
                status=status,
                tags=tags,
                publish_at=when,
            ),
            now=utcnow(),
            body_limit=100_000,
        )
        written.append(post)
    for title, slug, body in PAGES:
        page = pages.create_page(
            session, admin, pages.PageChanges(title=title, body=body, slug=slug,
                                              status="published"),
            now=utcnow(), body_limit=100_000, reserved=reserved,
        )  # fmt: skip
        menu.add_page(session, admin, page.id, "")
    reader = _discuss(session, passwords, admin_password, writers, written[21:26])
    _socialise(session, [*writers, reader], written[:26])
    session.execute(
        update(User).where(User.id.in_([u.id for u in (*writers, reader)])).values(demo=True)
    )
    session.commit()


def clear(session: DbSession) -> int:
    """Remove the demo's accounts with everything they own: their posts (and the
    comments, favourites and revisions on them), their comments elsewhere, their
    follows, marks and tokens, the demo's tags no post uses any longer, and the
    pages they wrote that nobody else has revised (with their links in the menu).
    Every other account and its content stay. Returns how many accounts went. Raises
    Forbidden when no admin would remain (create your own first)."""
    demo_ids = select(User.id).where(User.demo)
    admins = session.scalar(
        select(func.count(User.id)).where(User.role == Role.ADMIN.value, User.demo.is_(False))
    )
    if not admins:
        raise Forbidden(
            "No admin would remain: create your own with `inkstand create-admin` first."
        )
    touched = list(
        session.scalars(select(Comment.post_id).where(Comment.author_id.in_(demo_ids)).distinct())
    )
    session.execute(delete(Comment).where(Comment.author_id.in_(demo_ids)))
    counted = (
        select(func.count(Comment.id))
        .where(
            Comment.post_id == Post.id,
            Comment.status == CommentStatus.APPROVED.value,
            Comment.deleted.is_(False),
        )
        .scalar_subquery()
    )
    session.execute(
        update(Post)
        .where(Post.id.in_(touched))
        .values(comment_count=counted)
        .execution_options(synchronize_session=False)
    )
    revised_by_others = exists().where(
        PageRevision.page_id == Page.id,
        or_(PageRevision.editor_id.is_(None), PageRevision.editor_id.not_in(demo_ids)),
    )
    demo_pages = list(
        session.scalars(select(Page.id).where(Page.author_id.in_(demo_ids), ~revised_by_others))
    )
    for page_id in demo_pages:
        menu.forget_page(session, page_id)
    session.execute(delete(Page).where(Page.id.in_(demo_pages)))
    leaving = list(session.scalars(select(User).where(User.demo)))
    for user in leaving:  # one by one through the ORM: blog's listener fixes the counts
        session.delete(user)
    session.flush()
    demo_tags = {name for _, tags, _ in TOPICS for name in tags}
    used = select(post_tags.c.tag_id)
    session.execute(delete(Tag).where(Tag.name.in_(demo_tags), Tag.id.not_in(used)))
    session.commit()
    return len(leaving)


THREAD = [
    "This matches what I saw last week: the slow part was the one nobody had measured.",
    "Does this hold for pages that work *without* JavaScript too?",
    "It does, and `EXPLAIN ANALYZE` tells you the rest.\n\n> Measure first.",
]


def _discuss(
    session: DbSession, passwords: Passwords, admin_password: str, writers: list[User],
    recent: list[Post],
) -> User:  # fmt: skip
    """A short thread under each of a few recent posts, and a reader's first comment
    waiting in the moderation queue."""
    rules, now = comments.SpamRules(min_seconds=0), utcnow()
    for n, post in enumerate(recent):
        parent = None
        for depth, text in enumerate(THREAD[: 1 + n % 3]):
            commenter = writers[(n + depth + 1) % len(writers)]
            data = comments.CommentInput(body=text, parent_id=parent)
            parent = comments.post_comment(session, commenter, post.id, data, now, "open", rules).id
    reader = accounts.register(
        session, passwords, "dana", "dana@example.com", admin_password + "dana",
        registration_open=True, new_account_role=Role.READER.value, confirmed=True,
    )  # fmt: skip
    first = comments.CommentInput(body="First time here. Lovely writing!")
    comments.post_comment(session, reader, recent[-1].id, first, now, "hold_first", rules)
    return reader


def _socialise(session: DbSession, people: list[User], recent: list[Post]) -> None:
    """Each person follows the next two writers and favourites a few published posts,
    so the feed, the follower counts and the favourite counts have something to show."""
    writers = [p for p in people if p.has_role(Role.AUTHOR)]
    for n, person in enumerate(people):
        for writer in (writers[(n + 1) % len(writers)], writers[(n + 2) % len(writers)]):
            if writer.id != person.id:
                accounts.follow(session, person, writer.username)
        for post in recent[-1 - n :: -5][:3]:
            favourites.favourite(session, person, post.id)


def _state(n: int, start: datetime) -> tuple[str, datetime | None]:
    """Mostly published over three months; a few drafts, one scheduled, one archived."""
    if n in (27, 28):
        return Status.DRAFT.value, None
    if n == 29:
        return Status.PUBLISHED.value, utcnow() + timedelta(days=3)
    if n == 26:
        return Status.ARCHIVED.value, start + timedelta(days=1)
    return Status.PUBLISHED.value, start + timedelta(days=n * 3, hours=n)
