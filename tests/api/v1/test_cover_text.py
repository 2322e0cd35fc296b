"""A cover's description and caption through /api/v1: read on every post and list row,
written on create and change, documented, and refused as problems naming the field."""

from __future__ import annotations

import io

import pytest

from tests.helpers import assert_problem, image_bytes
from tests.media import folder

storage = folder.storage  # the media folder, emptied after each test
ALT = "A grey heron standing in shallow water"
CAPTION = "The mill pond, in March."


def _image(call, token) -> int:
    form = {"image": (io.BytesIO(image_bytes("JPEG", (1200, 600))), "heron.jpg")}
    answer = call("POST", "/api/v1/media", token, data=form, content_type="multipart/form-data")
    assert answer.status_code == 201
    return int(answer.get_json()["id"])


def test_a_post_is_written_and_read_with_its_words(call, token_for, storage):
    token = token_for("author")
    cover = _image(call, token)
    made = call("POST", "/api/v1/posts", token, json={
        "title": "Heron", "body": "Text.", "status": "published", "cover_id": cover,
        "cover_alt": f"  {ALT} ", "cover_caption": f"{CAPTION}\n",
    })  # fmt: skip
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["cover_alt"], body["cover_caption"]) == (ALT, CAPTION)
    read = call("GET", f"/api/v1/posts/{body['id']}").get_json()
    assert (read["cover_alt"], read["cover_caption"]) == (ALT, CAPTION)
    (row,) = call("GET", "/api/v1/posts").get_json()["posts"]
    assert (row["cover_alt"], row["cover_caption"]) == (ALT, CAPTION)


def test_a_post_without_them_answers_empty_strings(call, token_for):
    token = token_for("author")
    body = call("POST", "/api/v1/posts", token, json={"title": "T", "body": "B"}).get_json()
    assert (body["cover_alt"], body["cover_caption"]) == ("", "")


def test_a_patch_changes_one_and_keeps_the_other_and_the_cover(call, token_for, storage):
    token = token_for("author")
    cover = _image(call, token)
    post = call("POST", "/api/v1/posts", token, json={
        "title": "T", "body": "B", "cover_id": cover, "cover_alt": ALT, "cover_caption": CAPTION,
    }).get_json()  # fmt: skip
    url = f"/api/v1/posts/{post['id']}"
    changed = call("PATCH", url, token, json={"cover_caption": "New caption."}).get_json()
    assert (changed["cover_alt"], changed["cover_caption"]) == (ALT, "New caption.")
    assert changed["cover_id"] == cover
    removed = call("PATCH", url, token, json={"cover_id": None}).get_json()
    assert (removed["cover_id"], removed["cover_alt"]) == (None, ALT)  # kept, unshown
    cleared = call("PATCH", url, token, json={"cover_alt": ""}).get_json()
    assert cleared["cover_alt"] == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cover_alt", "a" * 301),
        ("cover_caption", "c" * 501),
        ("cover_alt", "Heron\x00"),
        ("cover_caption", "Dawn\x1b"),
        ("cover_alt", 42),
        ("cover_caption", None),
        ("cover_alt", ["a list"]),
    ],
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_bad_words_are_problems_naming_the_field(call, token_for, field, value, method):
    token = token_for("author")
    post = call("POST", "/api/v1/posts", token, json={"title": "T", "body": "B"}).get_json()
    if method == "POST":
        refused = call("POST", "/api/v1/posts", token,
                       json={"title": "T", "body": "B", field: value})  # fmt: skip
    else:
        refused = call("PATCH", f"/api/v1/posts/{post['id']}", token, json={field: value})
    problem = assert_problem(refused, 422, "invalid")
    assert list(problem["errors"]) == [field]
    kept = call("GET", f"/api/v1/posts/{post['id']}", token).get_json()
    assert (kept["cover_alt"], kept["cover_caption"]) == ("", "")


def test_a_reader_token_may_not_write_them(call, token_for):
    owner = token_for("author")
    sent = {"title": "T", "body": "B", "status": "published"}
    post = call("POST", "/api/v1/posts", owner, json=sent).get_json()
    for token in (token_for("reader"), token_for("author")):
        refused = call("PATCH", f"/api/v1/posts/{post['id']}", token, json={"cover_alt": "x"})
        assert refused.status_code == 403
    assert call("GET", f"/api/v1/posts/{post['id']}").get_json()["cover_alt"] == ""


def test_the_document_describes_them(call):
    schemas = call("GET", "/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("PostSummary", "Post", "PostIn", "PostPatch"):
        properties = schemas[name]["properties"]
        for field in ("cover_alt", "cover_caption"):
            assert properties[field]["type"] == "string", (name, field)
            assert "plain text" in properties[field]["description"]
    for name in ("PostSummary", "Post"):
        assert {"cover_alt", "cover_caption"} <= set(schemas[name]["required"])


def test_the_realworld_api_has_no_such_fields(call, token_for, client, factory):
    author = factory.user()
    token = token_for(author)
    call("POST", "/api/v1/posts", token, json={
        "title": "Plain", "body": "B", "status": "published", "cover_alt": ALT,
    })  # fmt: skip
    article = client.get("/api/articles/plain").get_json()["article"]
    assert not any("cover" in key for key in article)
