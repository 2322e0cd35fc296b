"""The hashed pins in requirements/ are those `make lock` makes from pyproject.toml.

No network: the pins are read back and compared with pyproject.toml's declared
requirements, so adding, dropping or narrowing a requirement without `make lock`
fails here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
FROM_PYPROJECT = "inkstand (pyproject.toml)"
#: Each lock file, and the extras of pyproject.toml it pins besides the app's own needs.
LOCKS = {"app.txt": ("gevent",), "test.txt": ("gevent", "test")}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


@dataclass
class Pin:
    version: str
    hashes: list[str] = field(default_factory=list)
    via: set[str] = field(default_factory=set)


def _read(name: str) -> dict[str, Pin]:
    """The pins of one lock file by canonical name, with their hashes and `# via` notes."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    for raw in (ROOT / "requirements" / name).read_text().splitlines():
        line = raw.strip()
        if match := _PIN.match(raw):
            current = pins[canonicalize_name(match[1])] = Pin(match[2])
        elif current and line.startswith("--hash="):
            current.hashes.append(line.removeprefix("--hash=").rstrip(" \\"))
        elif current and line.startswith("#"):
            note = line.lstrip("# ").removeprefix("via").strip()
            if note:
                current.via.add(note)
    return pins


def _declared(extras: tuple[str, ...]) -> list[Requirement]:
    groups = [PROJECT["dependencies"]]
    groups += [PROJECT["optional-dependencies"][extra] for extra in extras]
    return [Requirement(line) for group in groups for line in group]


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_has_hashes(lock: str) -> None:
    pins = _read(lock)
    assert pins
    unhashed = [name for name, pin in pins.items() if not pin.hashes]
    assert not unhashed, f"run make lock: {unhashed} in {lock} carry no hash"


@pytest.mark.parametrize("lock", LOCKS)
def test_every_declared_requirement_is_pinned_within_its_range(lock: str) -> None:
    pins = _read(lock)
    for requirement in _declared(LOCKS[lock]):
        pin = pins.get(canonicalize_name(requirement.name))
        assert pin, f"run make lock: {requirement.name} is declared but not in {lock}"
        assert requirement.specifier.contains(pin.version, prereleases=True), (
            f"run make lock: {lock} pins {requirement.name}=={pin.version}, "
            f"outside {requirement.specifier}"
        )


@pytest.mark.parametrize("lock", LOCKS)
def test_nothing_is_pinned_for_a_requirement_pyproject_dropped(lock: str) -> None:
    declared = {canonicalize_name(r.name) for r in _declared(LOCKS[lock])}
    direct = {name for name, pin in _read(lock).items() if FROM_PYPROJECT in pin.via}
    assert direct == declared, "run make lock: pyproject.toml and the pins disagree"


def test_the_test_tools_share_the_apps_pins() -> None:
    app, test = _read("app.txt"), _read("test.txt")
    assert app.keys() <= test.keys()
    differ = {name for name in app if app[name].version != test[name].version}
    assert not differ, f"run make lock: app.txt and test.txt pin {differ} differently"


def test_gevent_is_an_extra_not_a_requirement() -> None:
    assert "gevent" in PROJECT["optional-dependencies"]
    assert not [r for r in _declared(()) if canonicalize_name(r.name) == "gevent"]
