"""Comment rules, written once in comments.services: policies, threads, the edit
window, deletion, moderation, and the count each post keeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inkstand.blog.models import Post
from inkstand.comments import reading, services
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.exceptions import Forbidden, Invalid, NotFound
from inkstand.extensions import db
from tests.helpers import change

OPEN = services.SpamRules(min_seconds=0)


def _post(actor, post, body="A comment.", *, policy="open", now=None, parent=None, **kw):
    data = services.CommentInput(body=body, parent_id=parent.id if parent else None, **kw)
    return services.post_comment(db.session, actor, post.id, data, now or utcnow(), policy, OPEN)


def stored_count(post) -> int:
    """The count the post keeps, read fresh."""
    db.session.expire_all()
    return db.session.scalar(select(Post.comment_count).where(Post.id == post.id))


def real_count(post) -> int:
    return db.session.scalar(
        select(func.count(Comment.id)).where(
            Comment.post_id == post.id, Comment.status == "approved", Comment.deleted.is_(False)
        )
    )


@pytest.fixture
def people(factory):
    """Everyone a comment rule tells apart, and a published post by ``writer``."""
    admin = factory.user("admin", "boss")
    return {
        "admin": admin,
        "editor": factory.user("editor"),
        "writer": factory.user("author"),
        "other_author": factory.user("author"),
        "reader": factory.user("reader"),
        "second_reader": factory.user("reader"),
    }


@pytest.fixture
def post(factory, people):
    return factory.post(people["writer"], "Discussed")


@pytest.mark.parametrize(
    ("policy", "status"),
    [("open", "approved"), ("hold_first", "pending"), ("hold_all", "pending")],
)
def test_policy_decides_whether_a_comment_waits(people, post, policy, status):
    comment = _post(people["reader"], post, policy=policy)
    assert comment.status == status
    assert stored_count(post) == (1 if status == "approved" else 0)


def test_hold_first_holds_until_one_comment_is_approved(people, post):
    reader = people["reader"]
    first = _post(reader, post, "First", policy="hold_first")
    second = _post(reader, post, "Second", policy="hold_first")
    assert (first.status, second.status) == ("pending", "pending")
    services.moderate(db.session, people["editor"], [first.id], "approve")
    third = _post(reader, post, "Third", policy="hold_first")
    assert third.status == "approved"
    # Someone else's approval does not count for a newcomer.
    assert _post(people["second_reader"], post, "Hi", policy="hold_first").status == "pending"


@pytest.mark.parametrize("who", ["writer", "editor", "admin"])
def test_moderators_are_never_held(people, post, who):
    assert _post(people[who], post, policy="hold_all").status == "approved"


def test_an_author_is_held_on_another_authors_post(people, post):
    assert _post(people["other_author"], post, policy="hold_all").status == "pending"


def test_closed_policy_and_closed_post_refuse_comments(factory, people, post):
    with pytest.raises(Forbidden, match="closed"):
        _post(people["reader"], post, policy="closed")
    closed = factory.post(people["writer"], "Quiet", comments_closed=True)
    with pytest.raises(Forbidden, match="closed"):
        _post(people["reader"], closed)
    with pytest.raises(Forbidden, match="closed"):  # not even the post's author
        _post(people["writer"], closed)
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_anonymous_may_not_comment(post):
    data = services.CommentInput(body="Hello")
    with pytest.raises(Forbidden, match="Log in"):
        services.post_comment(db.session, None, post.id, data, utcnow(), "open", OPEN)


@pytest.mark.parametrize("state", ["draft", "scheduled", "archived", "missing"])
def test_only_published_posts_take_comments(factory, people, state):
    writer = factory.post(people["writer"], "Elsewhere")  # something to exist
    if state == "missing":
        target_id = writer.id + 1000
    elif state == "scheduled":
        target_id = factory.post(people["writer"], publish_at=utcnow() + timedelta(days=1)).id
    elif state == "archived":  # published once, then archived: readable, closed
        target_id = change(factory.post(people["writer"]), people["writer"], status="archived").id
    else:
        target_id = factory.post(people["writer"], status=state).id
    data = services.CommentInput(body="Hello")
    expected = Forbidden if state == "archived" else NotFound
    with pytest.raises(expected):
        services.post_comment(db.session, people["reader"], target_id, data, utcnow(), "open", OPEN)
    # The post's author sees her draft, but it takes no comments either.
    if state in {"draft", "scheduled"}:
        with pytest.raises(Forbidden):
            services.post_comment(
                db.session, people["writer"], target_id, data, utcnow(), "open", OPEN
            )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something"),
        ("  \n\t ", "Write something"),
        ("\x00\x00", "Write something"),
        ("x" * (services.BODY_MAX + 1), f"limited to {services.BODY_MAX:,} characters"),
    ],
)
def test_a_bad_body_is_refused(people, post, body, message):
    with pytest.raises(Invalid, match=message) as error:
        _post(people["reader"], post, body)
    assert "body" in error.value.errors
    assert db.session.scalar(select(func.count(Comment.id))) == 0
    assert stored_count(post) == 0


def test_the_body_is_kept_without_nul_and_rendered_once(people, post):
    comment = _post(people["reader"], post, "  Hello\x00 *there*  ")
    assert comment.body_source == "Hello *there*"
    assert comment.body_html == "<p>Hello <em>there</em></p>\n"


def test_replies_nest_to_a_fixed_depth_then_join_their_parent(people, post):
    reader = people["reader"]
    top = _post(reader, post, "Top")
    one = _post(reader, post, "One", parent=top)
    two = _post(reader, post, "Two", parent=one)
    three = _post(reader, post, "Three", parent=two)
    assert [(c.parent_id, c.depth) for c in (top, one, two, three)] == [
        (None, 0), (top.id, 1), (one.id, 2), (one.id, 2),
    ]  # fmt: skip
    assert services.MAX_DEPTH == 2


def test_a_reply_needs_a_parent_the_writer_sees_on_the_same_post(factory, people, post):
    reader = people["reader"]
    elsewhere = factory.post(people["writer"], "Elsewhere")
    foreign = _post(reader, elsewhere, "On the other post")
    held = _post(people["second_reader"], post, "Held", policy="hold_all")
    gone = _post(reader, post, "Gone")
    services.delete_comment(db.session, reader, gone.id, utcnow())
    for parent_id in [foreign.id, held.id, gone.id, 999_999, 0, -1, 2**40]:
        data = services.CommentInput(body="Reply", parent_id=parent_id)
        with pytest.raises(Invalid) as error:
            services.post_comment(db.session, reader, post.id, data, utcnow(), "open", OPEN)
        assert "parent_id" in error.value.errors, parent_id
    assert (
        db.session.scalar(select(func.count(Comment.id)).where(Comment.body_source == "Reply")) == 0
    )


def test_a_writer_edits_her_comment_for_fifteen_minutes(people, post):
    reader = people["reader"]
    start = utcnow()
    comment = _post(reader, post, "Frist", now=start)
    later = start + timedelta(minutes=15)
    edited = services.edit_comment(db.session, reader, comment.id, "First *edit*", later, OPEN)
    assert (edited.body_source, edited.edited_at) == ("First *edit*", later)
    assert "<em>edit</em>" in edited.body_html
    too_late = start + timedelta(minutes=15, seconds=1)
    with pytest.raises(Forbidden, match="15 minutes"):
        services.edit_comment(db.session, reader, comment.id, "Again", too_late, OPEN)
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body_source == "First *edit*"


@pytest.mark.parametrize("who", ["second_reader", "writer", "editor", "admin"])
def test_nobody_else_edits_a_comment(people, post, who):
    comment = _post(people["reader"], post, "Mine")
    with pytest.raises(Forbidden, match="only your own"):
        services.edit_comment(db.session, people[who], comment.id, "Theirs", utcnow(), OPEN)


def test_an_edit_keeps_to_the_body_rules(people, post):
    comment = _post(people["reader"], post, "Fine")
    many = " ".join(f"https://example.com/{n}" for n in range(4))
    for body in ["", "x" * (services.BODY_MAX + 1), many]:
        with pytest.raises(Invalid):
            services.edit_comment(db.session, people["reader"], comment.id, body, utcnow(), OPEN)
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body_source == "Fine"


def test_deleting_a_comment_without_replies_removes_it(people, post):
    comment = _post(people["reader"], post)
    assert stored_count(post) == 1
    services.delete_comment(db.session, people["reader"], comment.id, utcnow())
    assert db.session.get(Comment, comment.id) is None
    assert stored_count(post) == 0


def test_a_deleted_comment_with_replies_keeps_its_place_without_its_text(people, post):
    reader, other = people["reader"], people["second_reader"]
    top = _post(reader, post, "Parent text")
    reply = _post(other, post, "Reply text", parent=top)
    services.delete_comment(db.session, reader, top.id, utcnow())
    db.session.expire_all()
    kept = db.session.get(Comment, top.id)
    assert (kept.deleted, kept.body_source, kept.body_html) == (True, "", "")
    assert stored_count(post) == 1
    nodes = reading.thread(db.session, None, post, utcnow(), "open").nodes
    assert [(n.comment.id, n.shown) for n in nodes] == [(top.id, False)]
    assert [n.comment.id for n in nodes[0].replies] == [reply.id]
    # Deleting the last reply takes the placeholder with it.
    services.delete_comment(db.session, other, reply.id, utcnow())
    assert db.session.scalar(select(func.count(Comment.id))) == 0
    assert stored_count(post) == 0


def test_pruning_climbs_a_chain_of_deleted_comments(people, post):
    reader = people["reader"]
    top = _post(reader, post, "Top")
    middle = _post(reader, post, "Middle", parent=top)
    leaf = _post(reader, post, "Leaf", parent=middle)
    for comment in (top, middle, leaf):
        services.delete_comment(db.session, reader, comment.id, utcnow())
    assert db.session.scalar(select(func.count(Comment.id))) == 0


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("reader", True),  # the comment's writer
        ("second_reader", False),
        ("other_author", False),
        ("writer", True),  # the post's author
        ("editor", True),
        ("admin", True),
    ],
)
def test_who_may_delete_a_comment(people, post, who, allowed):
    comment = _post(people["reader"], post, "To delete")
    if allowed:
        services.delete_comment(db.session, people[who], comment.id, utcnow())
    else:
        with pytest.raises(Forbidden):
            services.delete_comment(db.session, people[who], comment.id, utcnow())
    db.session.expire_all()
    assert (db.session.get(Comment, comment.id) is None) == allowed


def test_a_writer_may_delete_her_comment_long_after(people, post):
    comment = _post(people["reader"], post, "Old")
    later = utcnow() + timedelta(days=30)
    services.delete_comment(db.session, people["reader"], comment.id, later)
    assert db.session.get(Comment, comment.id) is None


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("reader", False),
        ("other_author", False),
        ("writer", True),
        ("editor", True),
        ("admin", True),
    ],
)
def test_who_may_moderate(people, post, who, allowed):
    held = _post(people["second_reader"], post, "Held", policy="hold_all")
    if allowed:
        assert services.moderate(db.session, people[who], [held.id], "approve") == 1
    else:
        with pytest.raises(Forbidden):
            services.moderate(db.session, people[who], [held.id], "approve")
    db.session.expire_all()
    assert db.session.get(Comment, held.id).status == ("approved" if allowed else "pending")
    assert stored_count(post) == int(allowed)


def test_moderation_is_all_or_nothing(factory, people, post):
    """An author may moderate her own post's comments, so a batch that also names
    another author's comment changes nothing at all."""
    elsewhere = factory.post(people["other_author"], "Not hers")
    mine = _post(people["reader"], post, "On her post", policy="hold_all")
    theirs = _post(people["reader"], elsewhere, "On his post", policy="hold_all")
    with pytest.raises(Forbidden):
        services.moderate(db.session, people["writer"], [mine.id, theirs.id], "approve")
    db.session.expire_all()
    assert {db.session.get(Comment, i).status for i in (mine.id, theirs.id)} == {"pending"}


@pytest.mark.parametrize(
    ("ids", "action", "error"),
    [
        ([], "approve", Invalid),
        ([0, -5], "approve", Invalid),
        (list(range(1, 102)), "approve", Invalid),
        (["known"], "publish", Invalid),
        (["known"], "", Invalid),
        ([999_999], "approve", NotFound),
    ],
)
def test_bad_moderation_requests(people, post, ids, action, error):
    held = _post(people["reader"], post, "Held", policy="hold_all")
    ids = [held.id if i == "known" else i for i in ids]
    with pytest.raises(error):
        services.moderate(db.session, people["editor"], ids, action)
    db.session.expire_all()
    assert db.session.get(Comment, held.id).status == "pending"


def test_the_count_follows_every_change(factory, people, post):
    """After each step the post's stored count equals a real count."""
    elsewhere = factory.post(people["writer"], "Second post")
    editor, reader = people["editor"], people["reader"]
    a = _post(reader, post, "a")
    b = _post(reader, post, "b", policy="hold_all")
    c = _post(reader, elsewhere, "c", policy="hold_all")
    d = _post(people["second_reader"], post, "d", parent=a)
    steps = [
        lambda: services.moderate(db.session, editor, [b.id, c.id], "approve"),
        lambda: services.moderate(db.session, editor, [a.id, c.id], "spam"),
        lambda: services.moderate(db.session, editor, [a.id], "approve"),
        lambda: services.moderate(db.session, editor, [a.id], "approve"),  # again: no change
        lambda: services.delete_comment(db.session, reader, a.id, utcnow()),  # has a reply
        lambda: services.moderate(db.session, editor, [d.id, b.id], "delete"),
        lambda: services.moderate(db.session, editor, [c.id], "delete"),
    ]
    expected = [(3, 1), (2, 0), (3, 0), (3, 0), (2, 0), (0, 0), (0, 0)]
    for step, (here, there) in zip(steps, expected, strict=True):
        step()
        assert (stored_count(post), stored_count(elsewhere)) == (here, there)
        assert (real_count(post), real_count(elsewhere)) == (here, there)
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_bulk_delete_of_a_parent_and_its_reply_removes_both(people, post):
    top = _post(people["reader"], post, "Top")
    reply = _post(people["second_reader"], post, "Reply", parent=top)
    assert services.moderate(db.session, people["editor"], [top.id, reply.id], "delete") == 2
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_deleted_comments_are_gone_from_moderation(people, post):
    held = _post(people["reader"], post, "Held", policy="hold_all")
    services.delete_comment(db.session, people["reader"], held.id, utcnow())
    with pytest.raises(NotFound):
        services.moderate(db.session, people["editor"], [held.id], "approve")


class TestThread:
    """What each viewer sees of a post's comments."""

    @pytest.fixture
    def thread_of(self, people, post):
        """Approved, held and spam comments, and an approved reply to the spam."""
        approved = _post(people["reader"], post, "Approved")
        held = _post(people["second_reader"], post, "Held", policy="hold_all")
        spam = _post(people["reader"], post, "Spam")
        _post(people["second_reader"], post, "Reply to spam", parent=spam)
        services.moderate(db.session, people["editor"], [spam.id], "spam")
        del approved, held

        def shown(viewer) -> list[str]:
            nodes = reading.thread(db.session, viewer, post, utcnow(), "open").nodes
            out = []
            for node in nodes:
                out.append(node.comment.body_source if node.shown else "-")
                out.extend(r.comment.body_source for r in node.replies if r.shown)
            return out

        return shown

    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            (None, ["Approved", "-", "Reply to spam"]),
            ("reader", ["Approved", "-", "Reply to spam"]),  # her spam is not shown to her
            ("second_reader", ["Approved", "Held", "-", "Reply to spam"]),
            ("other_author", ["Approved", "-", "Reply to spam"]),
            ("writer", ["Approved", "Held", "Spam", "Reply to spam"]),
            ("editor", ["Approved", "Held", "Spam", "Reply to spam"]),
            ("admin", ["Approved", "Held", "Spam", "Reply to spam"]),
        ],
    )
    def test_each_viewer_sees_what_she_may(self, people, thread_of, who, expected):
        assert thread_of(people[who] if who else None) == expected

    def test_a_hidden_comment_without_visible_replies_leaves_no_trace(self, people, post):
        _post(people["reader"], post, "Held", policy="hold_all")
        assert reading.thread(db.session, None, post, utcnow(), "open").nodes == []

    def test_the_thread_is_one_query(self, people, post, queries):
        top = _post(people["reader"], post, "Top")
        for n in range(5):
            _post(people["second_reader"], post, f"Reply {n}", parent=top)
        db.session.expire_all()
        db.session.refresh(post)
        db.session.refresh(people["editor"])
        queries.clear()
        nodes = reading.thread(db.session, people["editor"], post, utcnow(), "open").nodes
        assert [len(n.replies) for n in nodes] == [5]
        assert {r.comment.author.username for r in nodes[0].replies}
        assert len(queries) == 1


def test_the_queue_lists_what_each_moderator_moderates(factory, people, post):
    elsewhere = factory.post(people["other_author"], "His post")
    on_hers = _post(people["reader"], post, "On hers", policy="hold_all")
    on_his = _post(people["reader"], elsewhere, "On his", policy="hold_all")
    _post(people["reader"], post, "Approved")

    def listed(who, status="pending"):
        page = reading.queue(db.session, people[who], status, 50)
        return [c.id for c in page.items]

    assert listed("editor") == [on_his.id, on_hers.id]
    assert listed("admin") == [on_his.id, on_hers.id]
    assert listed("writer") == [on_hers.id]
    assert listed("other_author") == [on_his.id]
    services.moderate(db.session, people["editor"], [on_his.id], "spam")
    assert listed("editor", "spam") == [on_his.id]
    assert reading.queue_status("nonsense") == reading.queue_status(None) == "pending"
    for who in ["reader", None]:
        with pytest.raises(Forbidden):
            reading.queue(db.session, people.get(who), "pending", 50)
