"""The settings: defaults, then ``QA_*`` environment variables, then a test config, checked once.

A bad value stops the start with an error that names its key: in ``create_app`` (a
``SettingsError``) and on the command line (a one-line error, no traceback).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_config

from qa import create_app
from qa.settings import DEFAULTS, Settings, SettingsError, environment_values

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
