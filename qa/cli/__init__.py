"""The ``qa`` command line: ``qa index``, ``qa sources``, ``qa ask``, ``qa check``, ``qa serve``, ``qa mcp`` and ``qa eval``.

One module per command group: ``index`` (builds), ``read`` (``sources`` and ``ask``),
``check`` (``check``), ``evaluate`` (``eval``), ``serve`` and ``mcp`` (the MCP server, ``qa.mcp``); ``options`` holds the filter
options ``ask`` and ``check`` share. ``main`` is a ``FlaskGroup`` around ``create_app``,
so a command reads the same ``Settings`` as the server (``current_service().settings``),
and Flask's test runner drives it (``runner.invoke(main, ...)``). A setting with a bad
value ends the command with its error, naming the key. Nothing imports this package but
``qa.__main__`` and the console script.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from qa.cli.check import check_command
from qa.cli.evaluate import eval_command
from qa.cli.index import index_command
from qa.cli.mcp import mcp_command
from qa.cli.read import ask_command, sources_command
from qa.cli.serve import serve_command
from qa.settings import SettingsError


def _create_app() -> Flask:
    from qa.web.app import create_app

    try:
        return create_app()
    except SettingsError as error:
        raise click.ClickException(str(error)) from error


class QAGroup(FlaskGroup):
    """Flask's CLI group without Flask's own options and plugin commands: only ours."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.params = [p for p in self.params if p.name not in {"env_file", "app", "debug"}]

    def _load_plugin_commands(self) -> None:
        self._loaded_plugin_commands = True


main = QAGroup(
    name="qa",
    help="News QA: question answering over the articles in seeds/.",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)

for _command in (index_command, sources_command, ask_command, check_command, eval_command, serve_command, mcp_command):
    main.add_command(_command)
