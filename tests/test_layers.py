"""Dependencies point down: the web edge -> service -> search -> index and text.

* Only the web edge (``qa/web/``), the app factory's entry (``qa/__init__.py``) and the
  CLI import Flask or its libraries (read from each module's own imports, an AST walk).
* The layers below the edge import neither the edge nor the service, the CLI or the
  server, directly (AST) or through anything they import (a fresh interpreter).
* ``qa.settings`` imports nothing else from ``qa``; ``import qa`` and ``import qa.settings``
  are light.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

QA = Path(__file__).resolve().parent.parent / "qa"

WEB_LIBRARIES = ("flask", "werkzeug", "flask_limiter", "jinja2")
WEB_EDGE = ("qa.web",)  # the package and everything in it
ENTRY_POINTS = {"qa", "qa.cli"}  # the package's lazy create_app, the console script
UPPER = ("qa.web", "qa.service", "qa.cli", "qa.server", "qa.worker")
LOWER = (
    "qa.search",
    "qa.index",
    "qa.ingest",
    "qa.text",
    "qa.corroboration",
    "qa.models",
    "qa.citations",
    "qa.timing",
    "qa.embedder",
    "qa.settings",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(QA.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(QA.rglob("*.py"))}


def imports(name: str) -> set[str]:
    """Every module a module imports, at any depth of its code (lazy imports count)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from qa import web`
    return found


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def test_the_walk_sees_the_modules():
    assert {"qa", "qa.settings", "qa.cli", "qa.web.app", "qa.web.api"} <= set(MODULES)
    assert any(within(name, ("qa.index",)) for name in MODULES)
    assert "flask" in {i.split(".")[0] for i in imports("qa.web.api")}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not within(n, WEB_EDGE) and n not in ENTRY_POINTS))
def test_nothing_outside_the_web_edge_imports_flask(name):
    web = {i for i in imports(name) if within(i, WEB_LIBRARIES)}
    assert not web, f"{name} imports {sorted(web)}; only qa/web/ and qa/cli.py may"


def test_the_package_reaches_the_web_edge_only_for_create_app():
    assert not {i for i in imports("qa") if within(i, WEB_LIBRARIES)}
    assert {i for i in imports("qa") if within(i, UPPER)} <= {"qa.web.app", "qa.web.app.create_app"}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if within(n, LOWER)))
def test_lower_layers_do_not_import_upper_ones(name):
    upward = {i for i in imports(name) if within(i, UPPER)}
    assert not upward, f"{name} imports {sorted(upward)}"


def test_settings_import_nothing_else_from_qa():
    assert {i for i in imports("qa.settings") if within(i, ("qa",))} == set()


def test_lower_layers_load_no_web_module_through_their_imports():
    """In a fresh interpreter: import every lower module, then look at what got loaded."""
    lower = sorted(n for n in MODULES if within(n, LOWER))
    code = (
        "import importlib, json, sys\n"
        f"for name in {lower!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert not [m for m in loaded if within(m, WEB_LIBRARIES) or within(m, UPPER)]


def test_the_package_and_the_settings_import_light():
    code = "import json, sys, qa, qa.settings; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    heavy = ("flask", "werkzeug", "faiss", "torch", "sentence_transformers", "bm25s", "numpy")
    assert not [m for m in loaded if within(m, heavy)]
    assert [m for m in loaded if within(m, ("qa",))] == ["qa", "qa.settings"]
