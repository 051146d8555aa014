"""The tests' own rules: a test that needs ../shared fails in CI and skips elsewhere."""

from __future__ import annotations

import pytest

from support.paths import require_shared


def test_a_missing_shared_folder_fails_in_ci(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="needs ../shared beside the clone.*CI is set"):
        require_shared(tmp_path / "absent")


def test_a_missing_shared_folder_skips_outside_ci(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs ../shared beside the clone"):
        require_shared(tmp_path / "absent")


def test_a_shared_folder_that_is_there_is_returned(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "1")
    assert require_shared(tmp_path) == tmp_path
