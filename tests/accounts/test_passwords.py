"""Password hashing: Argon2id, kept off a gevent worker's only thread."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from inkstand.accounts.passwords import Passwords


def fake_gevent(monkeypatch, patched_threading: bool) -> list[object]:
    """Stand in for gevent (patched or not) and record what its thread pool ran."""
    ran: list[object] = []

    def apply(call):
        ran.append(call)
        return call()

    hub = SimpleNamespace(threadpool=SimpleNamespace(apply=apply))
    monkeypatch.setitem(sys.modules, "gevent", SimpleNamespace(get_hub=lambda: hub))
    monkeypatch.setitem(
        sys.modules,
        "gevent.monkey",
        SimpleNamespace(is_module_patched=lambda name: patched_threading and name == "threading"),
    )
    return ran


@pytest.mark.parametrize("patched", [True, False])
def test_hashes_and_checks_passwords_under_gevent_or_threads(monkeypatch, patched):
    ran = fake_gevent(monkeypatch, patched)
    passwords = Passwords(time_cost=1, memory_cost=64)
    stored = passwords.hash("a long password")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "a long password")
    assert not passwords.verify(stored, "another password")
    assert not passwords.verify(None, "inkstand decoy password")  # no account: never a match
    assert not passwords.verify("not a hash", "a long password")
    # Under gevent each hash and check ran in its pool of native threads, else here.
    assert len(ran) == (5 if patched else 0)
