"""Property-based run of every operation in /api/v1/openapi.json over the WSGI app.

Schemathesis makes requests from the document itself (valid ones, then ones that
break it) with a read-write admin token; no answer may be a server error, and each
must match the document: its status is documented, its content type is the one
documented for that status, and its body fits the documented schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from inkstand.accounts import tokens
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import Factory, bearer, separate_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_app(database_url, tmp_path_factory) -> Iterator[Flask]:
    """An app with limits high enough not to hide the operations behind 429s, and a few
    posts and comments for the generated ids to find."""
    many = "100000 per minute"
    with separate_app(
        tmp_path_factory.mktemp("fuzz"), database_url,
        API_LIMITS=many, API_LIMITS_PER_ADDRESS=many,
        COMMENT_LIMITS_PER_ACCOUNT=many, COMMENT_LIMITS_PER_ADDRESS=many,
        TRUSTED_HOSTS=("localhost",),  # schemathesis calls the app by that name
    ) as app:  # fmt: skip
        factory = Factory(app)
        admin = factory.user("admin", "fuzzer")
        site.update(db.session, admin, comment_policy="open")
        for n in range(3):
            post = factory.post(admin, f"Fuzzed {n}", tags="fuzz")
            factory.comment(admin, post, f"Comment {n}")
        factory.post(admin, "A draft", status="draft")
        app.config["FUZZ_TOKEN"] = tokens.create(db.session, admin, "fuzz", "read-write", utcnow())[
            1
        ]
        yield app


EXAMPLES = 30  # per operation and mode: about a minute for both databases


def test_every_operation_keeps_to_its_document(fuzzed_app: Flask) -> None:
    # Driven directly rather than through schemathesis' pytest plugin, which does not
    # run on this pytest; hypothesis shrinks each failure to its smallest request.
    document = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)
    headers = bearer(fuzzed_app.config["FUZZ_TOKEN"])
    operations = [result.ok() for result in document.get_all_operations()]
    assert (
        len(operations) == 30
    )  # every operation: search, restore, stats, pages, subscriptions and media among them

    for operation, mode in product(operations, GenerationMode):
        if mode == GenerationMode.NEGATIVE and not (len(operation.query) or len(operation.body)):
            continue  # nothing to break but a path, which then matches no route

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES, deadline=None, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def keeps_to_the_document(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        keeps_to_the_document()
