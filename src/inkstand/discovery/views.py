"""Discovery pages: feeds, the sitemap and robots.txt, the archive, related posts,
and the metadata every page carries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from inkstand import inputs, runtime
from inkstand.blog import fragments, pagecache
from inkstand.blog.models import Post
from inkstand.discovery import feeds, metadata, reading
from inkstand.exceptions import NotFound
from inkstand.extensions import db
from inkstand.pagination import EPOCH
from inkstand.site.context import site_settings
from inkstand.templating import absolute_link, absolute_url

bp = Blueprint("discovery", __name__)

FEED_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
FLAVOURS = "any(rss, atom):flavour"
PAGE_ARGUMENTS = ("before", "after")
# The pages of the sitemap that are not a post, a tag or an author.
PAGES = ("blog.index", "discovery.archive")


def _config(name: str) -> int:
    value: int = current_app.config[name]
    return value


def _cursors() -> dict[str, str | None]:
    return {name: request.args.get(name) for name in PAGE_ARGUMENTS}


# ---------------------------------------------------------------- feeds


@bp.get(f"/<{FLAVOURS}>.xml")
def site_feed(flavour: str) -> ResponseReturnValue:
    items = reading.site_feed(db.session, runtime.now(), _config("FEED_ITEMS"))
    site = site_settings()
    page = absolute_url("blog.index")
    return _feed(flavour, site.title, site.description, page, items)


@bp.get(f"/tags/<name>/<{FLAVOURS}>.xml")
def tag_feed(name: str, flavour: str) -> ResponseReturnValue:
    tag, items = reading.tag_feed(db.session, name, runtime.now(), _config("FEED_ITEMS"))
    site = site_settings()
    title = f"#{tag.name} · {site.title}"
    page = absolute_link("blog.tag", name=tag.name)
    return _feed(flavour, title, f"Posts tagged #{tag.name}", page, items, name=tag.name)


@bp.get(f"/authors/<username>/<{FLAVOURS}>.xml")
def author_feed(username: str, flavour: str) -> ResponseReturnValue:
    found = reading.author_feed(db.session, username, runtime.now(), _config("FEED_ITEMS"))
    author, items = found
    title = f"{author.name} · {site_settings().title}"
    page = absolute_link("blog.author", username=author.username)
    return _feed(flavour, title, f"Posts by {author.name}", page, items, username=author.username)


def _feed(
    flavour: str, title: str, description: str, page: str, items: Sequence[Post], **args: str
) -> Response:
    """The feed as a conditional response: 304 when the reader has it already."""
    assert request.endpoint is not None
    info = feeds.FeedInfo(
        title, description, page, absolute_url(request.endpoint, flavour=flavour, **args)
    )
    links = feeds.Links(
        post=lambda slug: absolute_link("blog.show", slug=slug),
        author=lambda username: absolute_link("blog.author", username=username),
        tag=lambda name: absolute_link("blog.tag", name=name),
        media=_file_url,
    )
    build = feeds.rss if flavour == "rss" else feeds.atom
    response = Response(build(info, items, links, EPOCH), content_type=FEED_TYPES[flavour])
    response.content_type += "; charset=utf-8"
    response.last_modified = feeds.last_modified(items, EPOCH)
    response.add_etag()
    response.cache_control.no_cache = True  # keep it, but ask each time (a 304 is cheap)
    response.make_conditional(request)
    return response


# ---------------------------------------------------------------- sitemap, robots.txt


@bp.get("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    """The site's pages and every listed post, tag and author in one file; past the
    size of a file, an index of files of each kind."""
    now, size = runtime.now(), _config("SITEMAP_URLS_PER_FILE")
    counts = reading.sitemap_counts(db.session, now)
    if sum(counts.values()) + len(PAGES) <= size:
        sections = {kind: reading.sitemap_locations(db.session, kind, now, size) for kind in counts}
        return _xml("discovery/sitemap.xml", pages=PAGES, sections=sections)
    files: list[tuple[str, int | None]] = [("pages", None)]
    for kind in reading.KINDS:
        files += [(kind, start) for start in reading.sitemap_chunks(db.session, kind, now, size)]
    return _xml("discovery/sitemap_index.xml", files=files)


@bp.get("/sitemaps/<any(pages, posts, tags, authors):kind>.xml")
def sitemap_file(kind: str) -> ResponseReturnValue:
    """One file of the sitemap index: the site's pages, or ``kind`` after the id ``after``."""
    if kind == "pages":
        return _xml("discovery/sitemap.xml", pages=PAGES, sections={})
    raw = request.args.get("after")
    after = None if raw is None else inputs.whole_number(raw)
    if raw is not None and after is None:
        raise NotFound("No such sitemap.")
    found = reading.sitemap_locations(
        db.session, kind, runtime.now(), _config("SITEMAP_URLS_PER_FILE"), after
    )
    return _xml("discovery/sitemap.xml", pages=(), sections={kind: found})


def _xml(template: str, **context: Any) -> Response:
    body = render_template(template, **context)
    return Response(body, content_type="application/xml; charset=utf-8")


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    body = render_template("discovery/robots.txt")
    return Response(body, content_type="text/plain; charset=utf-8")


# ---------------------------------------------------------------- archive


@bp.get("/archive")
def archive() -> ResponseReturnValue:
    size = _config("ARCHIVE_MONTHS_PER_PAGE")
    page = reading.months(db.session, runtime.now(), size, **_cursors())
    return render_template("discovery/archive.html", page=page)


@bp.get("/archive/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>")
def month(year: int, month: int) -> ResponseReturnValue:
    size = site_settings().posts_per_page
    found, page = reading.month_posts(db.session, year, month, runtime.now(), size, **_cursors())
    return render_template("discovery/month.html", month=found, page=page)


# ---------------------------------------------------------------- on other pages


def post_page(post: Post) -> dict[str, Any]:
    """What the post page shows of discovery: the related posts, drawn."""
    return {"related_html": related_html(post)}


def related_html(post: Post) -> Markup:
    """The related posts of ``post`` (``discovery/_related.html``). They change only
    with public content, so while the page cache follows the content version each
    process keeps them under it and the next scheduled publication, and reads them
    once per post and version rather than on every request."""
    limit, now = _config("RELATED_POSTS"), runtime.now()

    def draw() -> Markup:
        related = reading.related(db.session, post, now, limit)
        macros = current_app.jinja_env.get_template("discovery/_related.html").module
        # Markup: the macro's template escapes everything it writes.
        html: Markup = macros.related_posts(related)  # type: ignore[attr-defined]
        return html

    state = pagecache.content_state(now)
    if state is None:
        return draw()
    return fragments.kept(("related", request.script_root, post.id, limit, *state), draw)


@bp.app_template_global()
def canonical_url() -> str | None:
    """This page's one URL on the trusted origin, its page cursor kept; None where
    no route answered."""
    if request.endpoint is None or request.view_args is None:
        return None
    cursors = {name: value for name, value in _cursors().items() if value}
    return absolute_url(request.endpoint, **request.view_args, **cursors)


def _file_url(name: str) -> str:
    return absolute_url("media.file", name=name)


@bp.app_template_global()
def share_image(post: Post) -> metadata.Picture | None:
    """The copy of the post's cover that social sites and feeds are given."""
    return metadata.cover_picture(post)


@bp.app_template_global()
def share_image_url(post: Post) -> str | None:
    """The absolute URL of ``share_image(post)``; None without a cover."""
    found = metadata.cover_picture(post)
    return _file_url(found.name) if found is not None else None


@bp.app_template_global()
def blog_posting(post: Post) -> dict[str, Any]:
    """The JSON-LD BlogPosting of ``post``."""
    return metadata.blog_posting(
        post,
        url=absolute_url("blog.show", slug=post.slug),
        author_urls=[absolute_url("blog.author", username=a.username) for a in post.authors],
        site_title=site_settings().title,
        site_url=absolute_url("blog.index"),
        image_url=share_image_url(post),
    )
