"""Driving the ``qa`` command line on a test's app, as the console script would."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner

from qa.cli import main


class QACliRunner(FlaskCliRunner):
    """Flask's CLI runner, invoking the ``qa`` group (not ``app.cli``) on the test's app."""

    def invoke(self, cli=None, args=None, **kwargs):  # type: ignore[override]
        return super().invoke(cli or main, args, **kwargs)


def cli_runner(app: Flask) -> QACliRunner:
    """A runner whose commands run on ``app``: its settings, index and model."""
    return QACliRunner(app)
