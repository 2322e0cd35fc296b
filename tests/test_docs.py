"""The docs name only what exists: every file, function and contract that
docs/architecture.md and docs/tour.md mention is there, so a rename that forgets
the docs fails here."""

from __future__ import annotations

import ast
import importlib
import re
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "inkstand"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
TOUR = ROOT / "docs" / "tour.md"

_CODE = re.compile(r"`([^`\n]+)`")
_PATH = re.compile(r"^[\w./-]+\.(?:py|html|js|css|md|toml|txt|json|sh)$|^Makefile$|^[\w.-]+/$")
_DOTTED = re.compile(r"^(?:inkstand\.)?([a-z_]+(?:\.[A-Za-z_]\w*)+)(?:\(.*\))?$")
#: In the tour, `path/to/file.py` or `path/to/file.py:name` (a function, class or
#: constant, or `Class.method`).
_TOUR_NAME = re.compile(r"^([\w./-]+\.\w+|Makefile)(?::([\w.]+))?$")


def _spans(path: Path) -> list[str]:
    return [m[1] for m in _CODE.finditer(path.read_text())]


def _exists(name: str) -> bool:
    """A path from the repository's root or the package's, or a role file of a feature."""
    if (ROOT / name).exists() or (PACKAGE / name).exists():
        return True
    return "/" not in name.rstrip("/") and any(PACKAGE.glob(f"**/{name}"))


@cache
def _top_level_names(path: Path) -> set[str]:
    """Functions, classes and assigned names of a module, and `Class.method` for methods."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            if isinstance(node, ast.ClassDef):
                names |= {
                    f"{node.name}.{item.name}"
                    for item in node.body
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                }
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _resolves(dotted: str) -> bool:
    """Whether `feature.module.name` names something in the inkstand package."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(["inkstand", *parts[:cut]]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def _is_module(first: str) -> bool:
    return (PACKAGE / f"{first}.py").exists() or (PACKAGE / first / "__init__.py").exists()


# docs/architecture.md


def _architecture_paths() -> list[str]:
    return sorted({s for s in _spans(ARCHITECTURE) if _PATH.match(s) and "<" not in s})


def _architecture_dotted() -> list[str]:
    found = set()
    for span in _spans(ARCHITECTURE):
        match = _DOTTED.match(span)
        if match and _is_module(match[1].split(".")[0]) and not _PATH.match(span):
            found.add(match[1])
    return sorted(found)


@pytest.mark.parametrize("name", _architecture_paths())
def test_every_file_the_architecture_names_exists(name: str) -> None:
    assert _exists(name), f"docs/architecture.md names {name}, which is not there"


@pytest.mark.parametrize("dotted", _architecture_dotted())
def test_every_function_the_architecture_names_exists(dotted: str) -> None:
    assert _resolves(dotted), f"docs/architecture.md names {dotted}, which is not there"


def _layout() -> tuple[set[str], set[str]]:
    """The files the layout block names (relative to src/inkstand), and its folders."""
    text = ARCHITECTURE.read_text()
    block = text[text.index("```\nsrc/inkstand/\n") + 4 :]
    block = block[: block.index("```")]
    files, folders, folder = set(), set(), ""
    for line in block.splitlines()[1:]:
        words = line.split("(")[0].split()
        if not words:
            continue
        if line.startswith("  ") and not line.startswith("   "):  # a new entry
            folder = words[0] if words[0].endswith("/") else ""
            for word in words:  # the folders an entry starts with
                if not word.endswith("/"):
                    break
                folders.add(word)
        files |= {folder + w for w in words if w.endswith(".py")}
    return files, folders


def test_the_layout_names_only_what_exists() -> None:
    files, folders = _layout()
    assert files
    assert folders
    for name in sorted(files | folders):
        assert (PACKAGE / name).exists(), f"the layout block names {name}, which is not there"


def test_the_layout_names_every_module() -> None:
    """Every module but the APIs' (described by folder) is in the layout block."""
    files, _ = _layout()
    modules = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
        and path.parts[len(PACKAGE.parts)] not in {"migrations", "api"}
    }
    assert modules - files == set(), "add them to the layout block of docs/architecture.md"


def test_the_architecture_lists_every_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = {contract["name"] for contract in config["contracts"]}
    listed = set(re.findall(r'^- "([^"]+)"', ARCHITECTURE.read_text(), re.M))
    assert listed == contracts


# docs/tour.md


def _tour_names() -> list[tuple[str, str | None]]:
    found = set()
    for span in _spans(TOUR):
        match = _TOUR_NAME.match(span)
        if match and ("/" in match[1] or match[1] in {"Makefile", "pyproject.toml"}):
            found.add((match[1], match[2]))
    return sorted(found, key=lambda found: (found[0], found[1] or ""))


def test_the_tour_names_files_and_functions() -> None:
    names = _tour_names()
    assert len(names) > 40
    assert sum(1 for _, function in names if function) > 20


@pytest.mark.parametrize(("path", "name"), _tour_names())
def test_every_file_and_function_the_tour_names_exists(path: str, name: str | None) -> None:
    file = ROOT / path
    assert file.exists(), f"docs/tour.md names {path}, which is not there"
    if name is not None:
        assert file.suffix == ".py", f"docs/tour.md names {name} in {path}, not a module"
        assert name in _top_level_names(file), f"docs/tour.md names {path}:{name}, not there"


def test_the_readme_links_the_tour() -> None:
    assert "docs/tour.md" in (ROOT / "README.md").read_text()
