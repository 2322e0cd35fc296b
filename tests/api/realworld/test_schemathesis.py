"""Property-based run of every operation of the RealWorld specification's own OpenAPI
document (``conduit/openapi.yml``, copied verbatim: see ``conduit/SOURCE.txt``) over
the WSGI app.

Schemathesis makes requests from the specification (valid ones, then ones that break
it) as a logged-in author, against a few articles, comments and profiles for the
generated slugs and names to find. No answer may be a server error. The document is
the specification's, not Inkstand's, so only that check applies: Inkstand answers
some things differently on purpose (a 403 for another's article, a 301 for an old
slug), which the specification does not list.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from sqlalchemy import select

from inkstand.accounts.models import Role, User
from inkstand.blog.models import Post
from inkstand.comments.models import Comment
from inkstand.extensions import db
from inkstand.site import services as site
from tests.api.realworld.calls import token_for
from tests.helpers import Factory, separate_app

SPECIFICATION = Path(__file__).parent / "conduit" / "openapi.yml"
EXAMPLES = 15  # per operation and mode: about a minute for both databases


@pytest.fixture(scope="module")
def fuzzed_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app with limits high enough not to hide the operations behind 429s, open
    registration as authors, and a few articles, comments and profiles."""
    many = "100000 per minute"
    with separate_app(
        tmp_path_factory.mktemp("fuzz"), database_url,
        API_LIMITS=many, API_LIMITS_PER_ADDRESS=many, REGISTER_LIMITS_PER_ADDRESS=many,
        LOGIN_LIMITS_PER_ACCOUNT=many, LOGIN_LIMITS_PER_ADDRESS=many,
        COMMENT_LIMITS_PER_ACCOUNT=many, COMMENT_LIMITS_PER_ADDRESS=many,
        TRUSTED_HOSTS=("localhost",),  # schemathesis calls the app by that name
    ) as app:  # fmt: skip
        factory = Factory(app)
        admin = factory.user(Role.ADMIN, "fuzzer")
        site.update(db.session, admin, comment_policy="open", new_account_role="author")
        factory.user(Role.AUTHOR, "writer")
        _keep_articles(app)
        app.config["FUZZ_TOKEN"] = token_for(app, admin)
        yield app


ARTICLES = {"fuzzed-0": "published", "fuzzed-1": "published", "a-draft": "draft"}
NAMES = ("fuzzer", "writer")


def _keep_articles(app: Flask) -> None:
    """The articles the cases aim at, made again if a generated DELETE removed one,
    each with a comment."""
    factory = Factory(app)
    writer = db.session.scalar(select(User).where(User.username == "writer"))
    assert writer is not None
    existing = set(db.session.scalars(select(Post.slug).where(Post.slug.in_(ARTICLES))))
    for slug, status in ARTICLES.items():
        if slug not in existing:
            post = factory.post(writer, slug.replace("-", " ").title(), status=status, tags="fuzz")
            if status == "published":
                factory.comment(writer, post, f"A comment on {slug}")


def _aimed(case: schemathesis.Case, aim: tuple[str, str, bool]) -> schemathesis.Case:
    """Half the cases aimed at an article, a comment and a profile that exist, the
    others left as generated (mostly unknown ones)."""
    slug, username, keep = aim
    if keep:
        return case
    parameters = case.path_parameters
    if "slug" in parameters:
        parameters["slug"] = slug
    if "username" in parameters:
        parameters["username"] = username
    if "id" in parameters:
        found = db.session.scalar(
            select(Comment.id).join(Post, Post.id == Comment.post_id).where(Post.slug == slug)
        )
        parameters["id"] = found or 1
    return case


def test_no_operation_of_the_specification_meets_a_server_error(fuzzed_app: Flask) -> None:
    # Driven directly rather than through schemathesis' pytest plugin, which does not
    # run on this pytest; hypothesis shrinks each failure to its smallest request.
    document = schemathesis.openapi.from_path(SPECIFICATION)
    headers = {"Authorization": f"Token {fuzzed_app.config['FUZZ_TOKEN']}"}
    operations = [result.ok() for result in document.get_all_operations()]
    assert len(operations) == 19  # every operation of the specification

    for operation, mode in product(operations, GenerationMode):
        if mode == GenerationMode.NEGATIVE and not (len(operation.query) or operation.body):
            continue  # nothing to break but a path, which then matches no route

        @given(
            case=operation.as_strategy(generation_mode=mode),
            aim=st.tuples(st.sampled_from(list(ARTICLES)), st.sampled_from(NAMES), st.booleans()),
        )
        @settings(
            max_examples=EXAMPLES, deadline=None, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def answers_without_a_server_error(
            case: schemathesis.Case, aim: tuple[str, str, bool]
        ) -> None:
            _keep_articles(fuzzed_app)
            _aimed(case, aim).call_and_validate(
                app=fuzzed_app, base_url="http://localhost/api", headers=headers,
                checks=[not_a_server_error],
            )  # fmt: skip

        answers_without_a_server_error()
