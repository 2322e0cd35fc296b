"""The import contracts in pyproject.toml cover every package, and stay strict.

`make contracts` (lint-imports) checks the code against the contracts; these
tests check the contracts themselves, so that a new feature package is guarded
the day it exists and no contract is quietly weakened.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "inkstand"

PURE = "Rules are plain Python: services, models, reading and permissions never import Flask"
CORE = "Core helpers import no feature"
FEATURES = (
    "Features depend one way: api | admin | personal | moving > analytics > comments | discovery"
    " | search"
    " > blog > media > site > accounts"
)
INSIDE = "Inside each feature: views over forms over services over permissions over models"
REALWORLD = "RealWorld API: views over parsing, rendering and tokens"
CONTRACT_NAMES = (PURE, CORE, FEATURES, INSIDE, REALWORLD)

#: Roles that hold rules, which must never reach Flask or the request helpers.
RULE_ROLES = ("services", "models", "reading", "permissions")
#: What a rule module must never import, directly or not.
WEB = {"flask", "werkzeug", "flask_login", "flask_wtf", "inkstand.extensions", "inkstand.runtime"}
#: Folders under src/inkstand that hold no Python feature.
NOT_FEATURES = {"migrations", "templates", "static"}


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["name"]: contract for contract in config["contracts"]}


def _matches(pattern: str, module: str) -> bool:
    """Whether an import-linter module expression names ``module`` or one of its ancestors.

    A forbidden contract checks descendants too, so `inkstand.*.services` covers
    `inkstand.blog.services.posts`."""
    parts = [
        {"*": r"[^.]+", "**": r"[^.]+(?:\.[^.]+)*"}.get(part, re.escape(part))
        for part in pattern.split(".")
    ]
    return re.fullmatch(r"\.".join(parts) + r"(?:\..+)?", module) is not None


def _modules() -> list[str]:
    names = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        if NOT_FEATURES & set(relative.parts):
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        names.append(".".join(parts))
    return sorted(names)


def _features() -> list[str]:
    return sorted(
        f"inkstand.{path.parent.name}"
        for path in PACKAGE.glob("*/__init__.py")
        if path.parent.name not in NOT_FEATURES
    )


def test_the_contracts_are_all_there() -> None:
    assert set(CONTRACT_NAMES) <= set(_contracts())


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_no_contract_allows_indirect_imports(name: str) -> None:
    assert not _contracts()[name].get("allow_indirect_imports", False)


def test_no_contract_skips_submodules() -> None:
    for contract in _contracts().values():
        assert contract.get("as_packages", True) is True, contract["name"]


def test_rules_never_import_the_web() -> None:
    contract = _contracts()[PURE]
    assert contract["type"] == "forbidden"
    assert set(contract["forbidden_modules"]) >= WEB
    for role in RULE_ROLES:
        assert f"inkstand.*.{role}" in contract["source_modules"]


@pytest.mark.parametrize("module", [m for m in _modules() if m.split(".")[-1] in RULE_ROLES])
def test_every_rule_module_is_covered(module: str) -> None:
    patterns = _contracts()[PURE]["source_modules"]
    assert any(_matches(pattern, module) for pattern in patterns)


def test_the_patterns_cover_a_package_made_tomorrow() -> None:
    patterns = _contracts()[PURE]["source_modules"]
    for module in ("inkstand.media.services", "inkstand.blog.services.posts"):
        assert any(_matches(pattern, module) for pattern in patterns), module


@pytest.mark.parametrize("feature", _features())
def test_every_feature_has_its_place_between_the_features(feature: str) -> None:
    layers = _contracts()[FEATURES]["layers"]
    named = {name.strip() for layer in layers for name in re.split(r"[|:]", layer)}
    assert feature in named, f"{feature} is in no layer of {FEATURES!r}"


def test_every_feature_is_layered_inside() -> None:
    contract = _contracts()[INSIDE]
    assert contract["containers"] == ["inkstand.*"]


def test_the_exceptions_between_features_are_the_known_ones() -> None:
    """An exception between features is written here too, on purpose, and explained there."""
    ignored = set(_contracts()[FEATURES].get("ignore_imports", []))
    assert ignored == {
        "inkstand.blog.views -> inkstand.comments.views",
        "inkstand.blog.views -> inkstand.discovery.views",
        "inkstand.accounts.views -> inkstand.site.context",
    }


def test_core_helpers_import_no_feature() -> None:
    contract = _contracts()[CORE]
    assert set(contract["forbidden_modules"]) >= set(_features())
    core = {m for m in _modules() if m.count(".") == 1 and m not in _features()}
    # The factory, the command line and the request helpers (views' shared answers
    # among them) put features together.
    assemblers = {
        "inkstand.cli", "inkstand.commands", "inkstand.demo", "inkstand.errors",
        "inkstand.runtime", "inkstand.templating", "inkstand.gunicorn_gevent",
        "inkstand.buttons", "inkstand.serving",
    }  # fmt: skip
    assert core - assemblers <= set(contract["source_modules"])


def test_tests_share_helpers_only_through_helper_modules() -> None:
    """A test module imports from tests/helpers.py (or a folder's helper module),
    never from another test module or a conftest, whose fixtures pytest hands out."""
    wrong = re.compile(r"^\s*from tests\.(?:[\w.]*\.)?(?:test_\w+|conftest) import", re.M)
    for path in sorted((ROOT / "tests").rglob("*.py")):
        assert not wrong.search(path.read_text()), f"{path.relative_to(ROOT)}"


def test_the_tests_mirror_the_features() -> None:
    """Each feature package has its own folder of tests."""
    for feature in _features():
        name = feature.removeprefix("inkstand.")
        assert (ROOT / "tests" / name / "__init__.py").exists(), f"no tests/{name}/"
