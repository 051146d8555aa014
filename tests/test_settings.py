"""The settings: defaults, then ``QA_*`` environment variables, then a test config, checked once.

A bad value stops the start with an error that names its key: in ``create_app`` (a
``SettingsError``) and on the command line (a one-line error, no traceback). Only
``qa.settings`` reads or sets the environment, and docs/configuration.md is generated from it.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

import qa.settings
from qa import create_app
from qa.settings import (
    DEFAULTS,
    OTHER_VARIABLES,
    STAGES,
    ModelSettings,
    RayEnvironment,
    Settings,
    SettingsError,
    doc_comments,
    environment_values,
    markdown,
    model_cache,
    process_environment,
    scoped_environment,
    shown_default,
)
from support.app import make_config

ROOT = Path(__file__).resolve().parent.parent


def test_the_layers_apply_in_order():
    environ = {"QA_MAX_K": "12", "QA_MODEL": "hashing", "QA_AUTO_BUILD": "false", "OTHER": "1"}
    settings = Settings.load({"MAX_K": 9}, environ=environ)
    assert settings.limits.max_k == 9  # the test config wins over the environment
    assert settings.model.name == "hashing" and settings.corpus.auto_build is False
    assert settings.limits.default_k == DEFAULTS["DEFAULT_K"] == 5
    assert environment_values(environ) == {"AUTO_BUILD": False, "MAX_K": 12, "MODEL": "hashing"}


def test_defaults_are_the_groups_own():
    settings = Settings()
    assert Settings.from_mapping(DEFAULTS) == settings
    assert settings.ranking.min_support == DEFAULTS["MIN_SUPPORT"]
    assert settings.build.hnsw_threshold == DEFAULTS["HNSW_THRESHOLD"]
    assert settings.serving.rate_limits == ["120/minute", "2000/hour"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.limits.max_k = 3  # type: ignore[misc]


def test_environment_values_parse_like_flask():
    values = environment_values({"QA_QUERY_PREFIX": "", "QA_PASSAGE_PREFIX": "passage: ", "QA_RATELIMIT": '["5/minute"]'})
    settings = Settings.from_mapping(values)
    assert settings.model.query_prefix == "" and settings.model.passage_prefix == "passage: "
    assert settings.serving.rate_limits == ["5/minute"]
    assert Settings().model.query_prefix is None  # not set: the model's own prompt


@pytest.mark.parametrize(
    "key, value",
    [
        ("MAX_K", "lots"),
        ("MAX_K", 0),
        ("MAX_K", True),
        ("DEFAULT_K", 50),  # above MAX_K
        ("TORCH_THREADS", -1),
        ("LEXICAL_WEIGHT", 1.5),
        ("FUSION", "magic"),
        ("AUTO_BUILD", "maybe"),
        ("SERVER_TIMING", [1]),
        ("TRUSTED_PROXIES", "not-an-address"),
        ("TRUSTED_PROXIES", True),
        ("MODEL", ""),
        ("MAX_CONTENT_LENGTH", "32k"),
    ],
)
def test_a_bad_value_is_an_error_that_names_its_key(tmp_path, key, value):
    with pytest.raises(SettingsError, match=key):
        create_app(make_config(tmp_path, **{key: value}))


def test_the_cli_says_which_setting_is_wrong(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QA_MAX_K": "lots", "QA_MODEL": "hashing", "QA_INDEX_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "qa", "sources"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "QA_MAX_K" in result.stderr and "Traceback" not in result.stderr


def test_the_app_reads_one_settings_object(app):
    settings = app.extensions["qa"].settings
    assert isinstance(settings, Settings)
    assert app.config["MAX_CONTENT_LENGTH"] == settings.limits.max_content_length  # Flask's own key, for Werkzeug
    assert settings.model.name == "hashing" and settings.serving.ratelimit == ""


# --- the model cache --------------------------------------------------------------------------


def test_the_model_cache_is_qa_model_cache_else_the_venv(tmp_path):
    assert model_cache(ModelSettings()) == Path(sys.prefix) / "models"
    assert model_cache(ModelSettings(cache="  ")) == Path(sys.prefix) / "models"
    assert model_cache(Settings.load(environ={"QA_MODEL_CACHE": str(tmp_path / "m")}).model) == tmp_path / "m"
    assert model_cache(Settings.load({"MODEL_CACHE": "~/models"}, environ={}).model) == Path.home() / "models"


def test_the_app_hands_its_model_cache_to_the_model(tmp_path):
    app = create_app(make_config(tmp_path, MODEL="e5", MODEL_CACHE=str(tmp_path / "cache")))
    assert app.extensions["qa"].embedder.cache == tmp_path / "cache"  # made, not loaded


# --- other programs' variables ---------------------------------------------------------------


def test_each_stage_sets_its_variables_unless_the_user_did():
    assert process_environment("model", environ={}) == {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    assert process_environment("model", environ={"HF_HUB_OFFLINE": "0"}) == {"TRANSFORMERS_OFFLINE": "1"}
    assert process_environment("build", environ={}) == {"HF_HUB_DISABLE_PROGRESS_BARS": "1"}
    assert process_environment("ray", environ={}) == {"RAY_USAGE_STATS_ENABLED": "0"}
    assert process_environment("ray-loopback", environ={}) == {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    local = process_environment("ray-local", environ={})
    assert local["RAY_AUTH_MODE"] == "token" and len(local["RAY_AUTH_TOKEN"]) == 64
    assert process_environment("ray-local", environ={})["RAY_AUTH_TOKEN"] != local["RAY_AUTH_TOKEN"]
    assert process_environment("ray-local", environ={"RAY_AUTH_TOKEN": "mine"}) == {"RAY_AUTH_MODE": "token"}
    assert process_environment("ray-local", environ={"RAY_AUTH_MODE": "disabled"}) == {}
    # The engine's threads are the caller's, whatever the environment says.
    assert process_environment("engine", environ={"OMP_NUM_THREADS": "8"}, threads=1) == {"OMP_NUM_THREADS": "1"}
    with pytest.raises(ValueError, match="stage"):
        process_environment("nowhere")


def test_a_scoped_stage_puts_the_environment_back(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with scoped_environment("engine", threads=3):
        assert os.environ["OMP_NUM_THREADS"] == "3"
    assert "OMP_NUM_THREADS" not in os.environ
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    with scoped_environment("engine", threads=3):
        assert os.environ["OMP_NUM_THREADS"] == "3"
    assert os.environ["OMP_NUM_THREADS"] == "2"


def test_ray_variables_are_read_through_the_settings():
    assert RayEnvironment.load({}) == RayEnvironment("", "")
    assert RayEnvironment.load({"RAY_ADDRESS": "10.0.0.1:6379", "RAY_TMPDIR": "/t"}) == RayEnvironment("10.0.0.1:6379", "/t")


def _touches_the_environment(node: ast.AST) -> bool:
    """``os.environ``, ``os.getenv``... (a WSGI ``request.environ`` is no process environment)."""
    if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv", "unsetenv"):
        return isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.ImportFrom) and node.module == "os" and any(a.name in ("environ", "getenv") for a in node.names)


def test_only_the_settings_read_or_set_the_environment():
    package = ROOT / "qa"
    offenders = sorted(
        str(path.relative_to(ROOT))
        for path in package.rglob("*.py")
        if path != package / "settings.py" and any(_touches_the_environment(n) for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
    )
    assert offenders == [], "read or set the environment through qa.settings"


def test_every_other_variable_has_a_stage_and_a_description():
    assert {v.stage for v in OTHER_VARIABLES} == set(STAGES)
    assert all(v.help for v in OTHER_VARIABLES) and len({v.name for v in OTHER_VARIABLES}) == len(OTHER_VARIABLES)


# --- docs/configuration.md -------------------------------------------------------------------

CONFIGURATION = ROOT / "docs" / "configuration.md"
REGENERATE = "regenerate it: python -m qa.settings --markdown > docs/configuration.md"
GROUPS = [f.default_factory for f in dataclasses.fields(Settings)]


def test_every_setting_has_a_description():
    missing = [f"{g.__name__}.{f.name}" for g in GROUPS for f in dataclasses.fields(g) if not doc_comments(g).get(f.name)]
    assert not missing, f"settings without a #: doc-comment: {missing}"


def test_the_configuration_page_lists_every_setting_with_its_default():
    rows = {}
    for line in CONFIGURATION.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| `QA_") and len(cells) == 6:
            rows[cells[1].strip("`")] = cells[4]
    missing = sorted(set(DEFAULTS) - set(rows))
    assert not missing, f"docs/configuration.md lacks {missing}; {REGENERATE}"
    defaults = {f.metadata["key"]: f.default for g in GROUPS for f in dataclasses.fields(g)}
    stale = sorted(key for key in DEFAULTS if rows[key] != shown_default(defaults[key]))
    assert not stale, f"docs/configuration.md gives other defaults for {stale}; {REGENERATE}"


def test_the_configuration_page_is_generated_from_the_settings():
    assert CONFIGURATION.read_text(encoding="utf-8") == markdown(), f"docs/configuration.md is stale; {REGENERATE}"
    assert all(f"| `{variable.name}` |" in markdown() for variable in OTHER_VARIABLES)


def test_the_generator_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "qa.settings", "--markdown"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout == markdown()
    assert subprocess.run([sys.executable, "-m", "qa.settings"], cwd=ROOT, capture_output=True).returncode != 0
    assert qa.settings.markdown is markdown
