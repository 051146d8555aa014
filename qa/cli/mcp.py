"""``qa mcp``: serve the tools and the articles over the Model Context Protocol (stdio, or Streamable HTTP)."""

from __future__ import annotations

import anyio
import click
from flask.cli import with_appcontext

from qa.cli.context import current_service


@click.command("mcp")
@click.option("--http", "http", is_flag=True, help="Serve Streamable HTTP at /mcp instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="With --http: the address to bind.")
@click.option("--port", default=8001, type=int, show_default=True, help="With --http: the port.")
@with_appcontext
def mcp_command(http: bool, host: str, port: int) -> None:
    """Serve MCP: ask, check_claim, list_sources, get_source, stories, and each article as a resource.

    Over stdio by default (an assistant starts it); with --http, Streamable HTTP on HOST:PORT
    at /mcp, which needs QA_MCP_TOKEN as a bearer token when set, and always off loopback.
    """
    from qa.mcp.server import McpConfigError, QAMcp

    service = current_service()
    server = QAMcp(service)
    settings = service.settings.serving
    if http:
        try:
            server.http_app(host, settings.mcp_token)  # checks the binding before anything loads
        except McpConfigError as error:
            raise click.ClickException(str(error)) from error
        server.warm_up_in_background()
        server.run_http(host, port, settings.mcp_token, settings.rate_limits)
        return
    server.warm_up_in_background()
    anyio.run(server.run_stdio)
