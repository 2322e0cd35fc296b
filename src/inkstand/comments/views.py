"""Comment pages: post, reply, edit and delete a comment; the moderation queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    get_template_attribute,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required

from inkstand import inputs, limits, runtime
from inkstand.accounts import permissions as account_permissions
from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.comments import fragments, jobs, live, permissions, reading, services
from inkstand.comments.forms import CommentForm, EditCommentForm, ModerationForm
from inkstand.comments.models import Comment, CommentStatus
from inkstand.comments.stamps import FormStamps
from inkstand.exceptions import DomainError, Invalid
from inkstand.extensions import db
from inkstand.site.context import site_settings

bp = Blueprint("comments", __name__)
bp.add_app_template_global(permissions.can_open_queue, "can_open_moderation")
bp.add_app_template_global(fragments.body, "comment_body_html")

QUEUE_PAGE_SIZE = 50
DONE = {"approve": "approved", "spam": "marked as spam", "delete": "deleted"}


def init_app(app: Flask) -> None:
    """Build this app's signer of comment form stamps."""
    app.extensions["inkstand.comments.stamps"] = FormStamps(app.config["SECRET_KEY"])


def form_stamps() -> FormStamps:
    """The signer of "form shown at" stamps for the spam rules (see stamps.py)."""
    stamps: FormStamps = current_app.extensions["inkstand.comments.stamps"]
    return stamps


def _policy() -> str:
    return site_settings().comment_policy


def _new_form(post: Post, parent: Comment | None = None) -> CommentForm:
    """A blank comment form, stamped with the time it is shown."""
    user = runtime.user()
    assert user is not None
    stamp = form_stamps().issue(post.id, user.id, runtime.now())
    return CommentForm(stamp=stamp, parent_id=parent.id if parent else None)


def _at(comment: Comment, post: Post) -> str:
    return url_for("blog.show", slug=post.slug, _anchor=f"comment-{comment.id}")


def post_page(post: Post) -> dict[str, Any]:
    """What the post page shows of its comments: the thread, and a fresh form
    when the viewer may comment."""
    user = runtime.user()
    thread = reading.thread(db.session, user, post, runtime.now(), _policy())
    # An account that must confirm its address first is told so, with a button for a link.
    confirm_first = thread.can_comment and account_permissions.must_confirm(
        user, site_settings().email_confirmation
    )
    can_comment = thread.can_comment and not confirm_first
    return {
        "thread": thread,
        "comment_form": _new_form(post) if can_comment else None,
        "confirm_first": confirm_first,
    }


@bp.post("/posts/<int:post_id>/comments")
@login_required
@limits.COMMENT(account=runtime.user)
def create(post_id: int) -> ResponseReturnValue:
    user, now = runtime.user(), runtime.now()
    assert user is not None
    post = services.open_post(db.session, user, post_id, now, _policy())
    form = CommentForm()
    stamps = form_stamps()
    shown_at = stamps.shown_at(form.stamp.data or "", post.id, user.id)
    if form.validate_on_submit():
        try:
            comment = services.post_comment(
                db.session, user, post_id, form.to_input(shown_at), now, _policy(),
                services.SpamRules.configured(current_app.config), notify=jobs.notify_post_author,
            )  # fmt: skip
        except Invalid as error:
            form.add_errors(error)
        else:
            held = comment.status != CommentStatus.APPROVED
            message = "Your comment awaits approval." if held else "Your comment is posted."
            if _wants_json():
                return _posted(comment, post, message), 201
            flash(message, "success")
            return redirect(_at(comment, post))
    if shown_at is None:  # let the writer send her text again with a good stamp
        form.stamp.data = stamps.issue(post.id, user.id, now)
    if _wants_json():
        return {"errors": form.errors, "stamp": form.stamp.data}, 422
    return render_template("comments/form.html", form=form, post=post, parent=_parent(form)), 422


def _wants_json() -> bool:
    """The page's script posts comments in the background and asks for JSON."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _posted(comment: Comment, post: Post, message: str) -> dict[str, Any]:
    """What the page's script needs to show the new comment at once, as its
    writer sees it (with Edit and Delete)."""
    node = reading.thread_node(runtime.user(), comment, post, _policy(), runtime.now())
    article = get_template_attribute("comments/_macros.html", "comment_article")(node)
    return {
        "id": comment.id,
        "parent": comment.parent_id,
        "status": comment.status,
        "html": str(article),
        "message": message,
    }


def _parent(form: CommentForm) -> Comment | None:
    """The comment a refused reply answers, to show above the form again, if it is there."""
    if form.parent_id.errors or not isinstance(form.parent_id.data, int):
        return None
    try:
        return services.get_for_reply(
            db.session, runtime.user(), form.parent_id.data, runtime.now(), _policy()
        )
    except DomainError:
        return None


@bp.get("/comments/<int:comment_id>/reply")
@login_required
def reply(comment_id: int) -> ResponseReturnValue:
    parent = services.get_for_reply(
        db.session, runtime.user(), comment_id, runtime.now(), _policy()
    )
    form = _new_form(parent.post, parent)
    return render_template("comments/form.html", form=form, post=parent.post, parent=parent)


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(comment_id: int) -> ResponseReturnValue:
    comment = services.get_for_edit(db.session, runtime.user(), comment_id, runtime.now())
    form = EditCommentForm()
    if request.method == "GET":
        form.body.data = comment.body_source
    elif form.validate_on_submit():
        try:
            comment = services.edit_comment(
                db.session, runtime.user(), comment_id, form.body.data or "", runtime.now(),
                services.SpamRules.configured(current_app.config),
            )  # fmt: skip
        except Invalid as error:
            form.add_errors(error)
        else:
            flash("Your comment is saved.", "success")
            return redirect(_at(comment, comment.post))
    status = 422 if form.errors else 200
    return render_template("comments/edit.html", form=form, comment=comment), status


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete(comment_id: int) -> ResponseReturnValue:
    post = services.delete_comment(db.session, runtime.user(), comment_id, runtime.now())
    flash("The comment is deleted.", "success")
    return redirect(url_for("blog.show", slug=post.slug, _anchor="comments"))


def _after() -> int:
    """Where a live reader resumes: the Last-Event-ID a reconnecting browser
    sends, else the ``after`` argument the page gave it."""
    raw = request.headers.get("Last-Event-ID") or request.args.get("after", "0")
    after = inputs.whole_number(raw)
    if after is None:
        raise Invalid.field("after", "Give the id of the last event you have.")
    return after


BUSY = {"Retry-After": "30", "Cache-Control": "no-store"}
# The margin a reader's slot is leased for beyond its longest life: it is given back
# when its answer closes, and lapses by itself only if its process died.
LEASE_MARGIN = 60


def _live_reader(
    post_id: int, serve: Callable[[Post, User | None, int], Response], longest: int
) -> Response:
    """Serve a live reader within the process's cap and its client's (per address
    and per account), holding its slot until its answer is closed."""
    if live.too_many_readers():
        return make_response(({"message": "Too many live readers; try again soon."}, 503, BUSY))
    viewer = runtime.user()
    held = limits.LIVE_READERS.take(viewer, lease=longest + LEASE_MARGIN)
    if held is None:
        message = "You have too many live comment streams open; close some and try again."
        return make_response(({"message": message}, 429, BUSY))
    try:
        post = reading.watched_post(db.session, viewer, post_id, runtime.now())
        response = serve(post, viewer, _after())
    except BaseException:
        held.release()
        raise
    response.call_on_close(held.release)
    return response


def _stream(post: Post, viewer: User | None, after: int) -> Response:
    response = Response(stream_with_context(live.stream(post, viewer, after)),
                        mimetype="text/event-stream")  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _poll(post: Post, viewer: User | None, after: int) -> Response:
    response = jsonify(live.poll(post, viewer, after))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/posts/<int:post_id>/comments/stream")
@limits.LIVE()
def stream(post_id: int) -> ResponseReturnValue:
    """Server-Sent Events: the post's comment events, as they happen."""
    return _live_reader(post_id, _stream, current_app.config["LIVE_STREAM_SECONDS"])


@bp.get("/posts/<int:post_id>/comments/updates")
@limits.LIVE()
def poll(post_id: int) -> ResponseReturnValue:
    """Long polling: the post's comment events after ``after``, as soon as there are any."""
    return _live_reader(post_id, _poll, current_app.config["LIVE_POLL_SECONDS"])


@bp.get("/moderation")
@login_required
def queue() -> ResponseReturnValue:
    status = reading.queue_status(request.args.get("status"))
    page = reading.queue(
        db.session, runtime.user(), status, QUEUE_PAGE_SIZE,
        before=request.args.get("before"), after=request.args.get("after"),
    )  # fmt: skip
    return render_template(
        "comments/moderation.html", page=page, status=status, form=ModerationForm()
    )


@bp.post("/moderation")
@login_required
def moderate() -> ResponseReturnValue:
    form = ModerationForm()
    back = reading.queue_status(form.status.data)
    if form.validate_on_submit():
        try:
            count = services.moderate(
                db.session, runtime.user(), form.ids.data, form.action.data or ""
            )
        except Invalid as error:
            flash(error.message, "error")
        else:
            noun = "comment" if count == 1 else "comments"
            flash(f"{count} {noun} {DONE[form.action.data or '']}.", "success")
    else:
        flash(" ".join(m for ms in form.errors.values() for m in ms), "error")
    return redirect(url_for("comments.queue", status=back))
