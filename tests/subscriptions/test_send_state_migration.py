"""The migration that gives newsletter sends a state counts the rows written before
it as sent (they were recorded as sent), and comes down again."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from inkstand.extensions import db
from inkstand.subscriptions.models import Newsletter, NewsletterSend
from tests.helpers import Factory, build_app


# SQLite's batch rebuild reflects the tables it refers to; users has an expression index.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_sends_recorded_before_the_state_are_sent(tmp_path: Path):
    app = build_app(tmp_path, f"sqlite:///{tmp_path / 'sends.sqlite3'}")
    with app.app_context():
        upgrade()
        factory = Factory(app)
        post = factory.post(factory.user())
        db.session.add(Newsletter(post_id=post.id))
        db.session.add(NewsletterSend(post_id=post.id, address_digest="d" * 64))
        db.session.commit()
        db.session.remove()
        downgrade(revision="0022")
        downgrade(revision="-1")
        columns = {c["name"] for c in inspect(db.engine).get_columns("newsletter_sends")}
        assert "state" not in columns
        upgrade(revision="0022")
        assert db.session.scalar(text("SELECT state FROM newsletter_sends")) == "sent"
        db.session.remove()
        db.engine.dispose()
