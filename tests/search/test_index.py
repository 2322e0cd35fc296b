"""The index follows posts through every door: the pages, both APIs, the command line,
and the site's search language."""

from __future__ import annotations

import pytest

from inkstand.accounts import tokens
from inkstand.blog.models import Status
from inkstand.db import utcnow
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.search import index
from inkstand.site import services as site
from tests.api.realworld.calls import Api
from tests.helpers import bearer, login, submit


def test_the_pages_create_edit_and_delete(client, factory, find):
    author = factory.user()
    login(client, author)
    form = {"title": "Pigeon post", "body": "Carried far.", "status": "published"}
    assert submit(client, "/write", form, page="/write").status_code == 302
    assert find("pigeon carried") == ["Pigeon post"]
    [post_id] = index.indexed_ids(db.session.connection())
    changed = {**form, "title": "Raven post", "version": ""}
    response = submit(client, f"/posts/{post_id}/edit", changed, page=f"/posts/{post_id}/edit")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert find("pigeon") == []
    assert find("raven") == ["Raven post"]
    submit(client, f"/posts/{post_id}/delete", page="/manage")
    assert find("raven", author) == []


def test_the_native_api_creates_patches_publishes_and_deletes(client, factory, find):
    author = factory.user()
    auth = bearer(tokens.create(db.session, author, "tests", "read-write", utcnow())[1])
    created = client.post(
        "/api/v1/posts", json={"title": "Heron", "body": "Grey wader."}, headers=auth
    ).get_json()
    assert find("heron") == []  # a draft
    assert find("heron", author) == ["Heron"]
    client.patch(f"/api/v1/posts/{created['id']}", json={"title": "Egret"}, headers=auth)
    client.post(f"/api/v1/posts/{created['id']}/publish", headers=auth)
    assert find("heron") == []
    assert find("egret wader") == ["Egret"]
    client.delete(f"/api/v1/posts/{created['id']}", headers=auth)
    assert find("egret", author) == []


def test_the_realworld_api_creates_updates_and_deletes(app, client, factory, find):
    api, author = Api(app, client), factory.user()
    article = {"title": "Otter", "description": "River", "body": "Swims.", "tagList": ["wild"]}
    slug = api.post("/articles", author, json={"article": article}).get_json()["article"]["slug"]
    assert find("otter river swims wild") == ["Otter"]
    api.put(f"/articles/{slug}", author, json={"article": {"body": "Dives deep."}})
    assert find("swims") == []
    assert find("otter dives") == ["Otter"]
    assert api.delete(f"/articles/{slug}", author).status_code == 204
    assert find("otter", author) == []


def test_search_rebuild_command_shows_progress(app, factory, find):
    author = factory.user()
    for n in range(3):
        factory.post(author, f"Badger {n}")
    index.clear(db.session.connection())
    db.session.commit()
    assert find("badger") == []
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexing posts" in result.output
    assert "3 posts indexed." in result.output
    assert len(find("badger")) == 3


@pytest.mark.parametrize("language", ["french", "simple"])
def test_the_search_language_is_a_site_setting_that_reindexes(app, factory, find, language):
    author = factory.user()
    factory.post(author, "Les chevaux courent", body="Dans les prés.")
    site.configure(db.session, "search_language", language)
    postgresql = db.engine.dialect.name == "postgresql"
    found = find("cheval", language=language)
    # French stems "chevaux" and "cheval" alike, "simple" matches whole words only; SQLite's
    # index does not stem, so only the word itself is found there.
    assert found == (["Les chevaux courent"] if postgresql and language == "french" else [])
    assert find("chevaux", language=language) == ["Les chevaux courent"]
    assert find("pres", language=language) == ["Les chevaux courent"]  # accents folded


def test_a_language_not_offered_is_refused(app):
    with pytest.raises(Invalid, match="search languages"):
        site.configure(db.session, "search_language", "klingon")


def test_drafts_never_reach_another_account_whatever_their_state(factory, find):
    alice, bob, editor = factory.user(), factory.user(), factory.user("editor")
    for state in (Status.DRAFT.value, Status.ARCHIVED.value):
        factory.post(alice, f"Alice {state} swallow", status=state)
    for viewer in (None, bob, editor):
        assert find("swallow", viewer) == []
    assert len(find("swallow", alice)) == 2
