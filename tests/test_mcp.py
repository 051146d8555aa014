"""The MCP server (``qa mcp``, ``qa.mcp.server``), driven by the SDK's own client.

Fast: the server in-process (``mcp.client.Client`` on the low-level ``Server``) on the
``hashing`` app: the tools' schemas and read-only annotations, the same JSON as the HTTP API
and the CLI, bad arguments answered with the API's messages, the article resources, the
HTTP binding rules and the guard's token and rate limit.
Slow: the real console script on the real model, over stdio (``qa mcp``, spawned by the
SDK's stdio client) and over Streamable HTTP (``qa mcp --http`` on a free loopback port):
the same passages as ``/api/ask`` and ``qa ask --json``, cited spans that slice the source,
foreign ``Origin``/``Host`` refused, the bearer token required when set.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from qa.mcp.server import HttpGuard, McpConfigError, QAMcp, article_uri, check_http_binding, parse_rate_limits
from support.cli import cli_runner
from support.live_server import SAMPLE_QUESTION, LiveServer, free_port, qa_env

QA_SCRIPT = str(Path(sys.executable).parent / "qa")
CLAIM = "Trump a demandé à Zelensky s'il pouvait frapper Moscou."
TOOLS = {"ask", "check_claim", "list_sources", "get_source", "stories"}
# Each bad call and the body the HTTP API gets for it: the tool error must carry the API's message.
BAD_CALLS = [
    ("ask", {"question": "   "}),
    ("ask", {}),
    ("ask", {"question": "Tomahawk ?", "k": 0}),
    ("ask", {"question": "Tomahawk ?", "k": "3"}),
    ("ask", {"question": "x" * 1001}),
    ("ask", {"question": "Tomahawk ?", "since": "2025-13-01"}),
    ("check_claim", {"claim": ""}),
    ("check_claim", {"claim": "Tomahawk", "outlets": "Le Monde"}),
]
ROUTES = {"ask": "/api/ask", "check_claim": "/api/check"}


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def passages(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What must match across surfaces: each passage's text and citation, in order."""
    return [(p["text"], json.dumps(p["citation"], sort_keys=True)) for p in answer["passages"]]


async def session_calls(client: Client, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    return [await client.call_tool(name, arguments) for name, arguments in calls]


# ---- fast: in-process


@pytest.fixture
def mcp_server(app) -> QAMcp:
    return QAMcp(app.extensions["qa"])


def test_tools_have_schemas_and_read_only_annotations(mcp_server):
    async def listing():
        async with Client(mcp_server.server) as client:
            return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in run(listing())}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.input_schema["type"] == "object" and tool.output_schema["type"] == "object"
        assert tool.description and tool.title
        annotations = tool.annotations
        assert annotations.read_only_hint is True and annotations.destructive_hint is False
        assert annotations.idempotent_hint is True and annotations.open_world_hint is False
    ask = tools["ask"].input_schema
    assert ask["required"] == ["question"]
    assert ask["properties"]["k"]["maximum"] == 20 and ask["properties"]["question"]["maxLength"] == 1000
    assert tools["check_claim"].input_schema["required"] == ["claim"]
    assert tools["get_source"].input_schema["required"] == ["source"]


def test_ask_and_check_match_the_http_api_and_the_cli(app, client, mcp_server):
    async def calls():
        async with Client(mcp_server.server) as mcp:
            return await session_calls(mcp, [("ask", {"question": SAMPLE_QUESTION, "k": 3}), ("check_claim", {"claim": CLAIM})])

    asked, checked = run(calls())
    assert not asked.is_error and not checked.is_error
    api = client.post("/api/ask", json={"question": SAMPLE_QUESTION, "k": 3}).get_json()
    cli = json.loads(cli_runner(app).invoke(args=["ask", SAMPLE_QUESTION, "-k", "3", "--json"]).output)
    assert asked.structured_content == api == cli
    assert passages(asked.structured_content) and passages(asked.structured_content) == passages(api)
    assert asked.content[0].text.startswith(("1. [", "The articles do not answer"))
    assert checked.structured_content == client.post("/api/check", json={"claim": CLAIM}).get_json()
    assert checked.content[0].type == "text" and checked.content[0].text


def test_a_cited_span_slices_the_source(client, mcp_server):
    async def calls():
        async with Client(mcp_server.server) as mcp:
            answer = (await mcp.call_tool("ask", {"question": SAMPLE_QUESTION, "k": 2})).structured_content
            spans = [p["citation"] for p in answer["passages"]]
            sources = [await mcp.call_tool("get_source", {"source": c["source"], "start": c["start"], "end": c["end"]}) for c in spans]
            whole = await mcp.call_tool("get_source", {"source": spans[0]["source"]})
            return answer, sources, whole

    answer, sources, whole = run(calls())
    for passage, result in zip(answer["passages"], sources, strict=True):
        assert not result.is_error
        assert result.structured_content["excerpt"]["text"] == passage["text"]
        assert result.structured_content["text"][passage["citation"]["start"] : passage["citation"]["end"]] == passage["text"]
    source = answer["passages"][0]["citation"]["source"]
    assert whole.structured_content == client.get(f"/api/sources/{source}").get_json()


def test_bad_arguments_are_tool_errors_with_the_apis_message_and_the_session_goes_on(client, mcp_server):
    async def calls():
        async with Client(mcp_server.server) as mcp:
            bad = await session_calls(mcp, BAD_CALLS)
            good = await mcp.call_tool("ask", {"question": SAMPLE_QUESTION})
            return bad, good

    bad, good = run(calls())
    for (name, arguments), result in zip(BAD_CALLS, bad, strict=True):
        api = client.post(ROUTES[name], json=arguments)
        assert api.status_code == 400, arguments
        assert result.is_error, arguments
        assert result.structured_content == api.get_json()
        assert result.content[0].text == api.get_json()["error"]["message"]
    assert not good.is_error and good.structured_content["passages"]


def test_unknown_source_and_bad_bounds_are_tool_errors(client, mcp_server):
    source = client.get("/api/sources").get_json()["sources"][0]["source"]
    length = len(client.get(f"/api/sources/{source}").get_json()["text"])

    async def calls():
        async with Client(mcp_server.server) as mcp:
            return await session_calls(
                mcp,
                [
                    ("get_source", {"source": "no-such.txt"}),
                    ("get_source", {"source": source, "start": 5, "end": 2}),
                    ("get_source", {"source": source, "end": length + 1}),
                    ("get_source", {"source": source, "start": -1}),
                    ("get_source", {}),
                    ("list_sources", {}),
                ],
            )

    unknown, reversed_, beyond, negative, missing, listed = run(calls())
    api = client.get("/api/sources/no-such.txt").get_json()
    assert unknown.is_error and unknown.structured_content == api and unknown.content[0].text == api["error"]["message"]
    assert reversed_.is_error and "after 'end'" in reversed_.content[0].text
    assert beyond.is_error and negative.is_error and beyond.structured_content["error"]["code"] == "out_of_range"
    assert missing.is_error and missing.content[0].text == "'source' is required"
    assert listed.structured_content == client.get("/api/sources").get_json()


def test_articles_are_resources_with_their_metadata(client, mcp_server):
    sources = client.get("/api/sources").get_json()["sources"]

    async def calls():
        async with Client(mcp_server.server) as mcp:
            listed = (await mcp.list_resources()).resources
            templates = (await mcp.list_resource_templates()).resource_templates
            read = await mcp.read_resource(listed[0].uri)
            return listed, templates, read

    listed, templates, read = run(calls())
    assert [r.uri for r in listed] == [article_uri(s["source"]) for s in sources]
    assert [r.title for r in listed] == [s["title"] for s in sources]
    assert templates[0].uri_template == "article://{source}"
    assert read.contents[0].text == client.get(f"/api/sources/{sources[0]['source']}").get_json()["text"]
    assert article_uri("feed.jsonl#3") == "article://feed.jsonl%233"


def test_stories_match_the_api(client, mcp_server):
    async def call():
        async with Client(mcp_server.server) as mcp:
            return await mcp.call_tool("stories", {})

    assert run(call()).structured_content == client.get("/api/stories").get_json()


def test_a_non_loopback_bind_needs_a_token(runner):
    check_http_binding("127.0.0.1", None)
    check_http_binding("::1", None)
    check_http_binding("0.0.0.0", "secret")
    with pytest.raises(McpConfigError):
        check_http_binding("0.0.0.0", None)
    result = runner.invoke(args=["mcp", "--http", "--host", "0.0.0.0"])
    assert result.exit_code != 0 and "QA_MCP_TOKEN" in result.output


def test_the_guard_checks_the_token_and_the_rate(mcp_server):
    assert parse_rate_limits(["120/minute", "10 per 5 seconds", "nonsense"]) == [(120, 60.0), (10, 5.0)]

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def status(guard: HttpGuard, headers: list[tuple[bytes, bytes]]) -> int:
        sent: list[dict] = []

        async def send(message):
            sent.append(message)

        await guard({"type": "http", "headers": headers, "client": ("127.0.0.1", 1)}, None, send)
        return sent[0]["status"]

    guarded = HttpGuard(inner, token="secret", limits=[(2, 60.0)])
    assert run(status(guarded, [])) == 401
    assert run(status(guarded, [(b"authorization", b"Bearer wrong")])) == 401
    assert [run(status(guarded, [(b"authorization", b"Bearer secret")])) for _ in range(3)] == [200, 200, 429]


# ---- slow: the console script, the real model


def script_env(real_app, **settings: object) -> dict[str, str]:
    service = real_app.extensions["qa"]
    return qa_env(SEEDS_DIR=str(service.seeds_dir), INDEX_DIR=str(service.index_dir), **settings)


@pytest.mark.slow
def test_stdio_session_answers_as_the_api_and_the_cli(real_app, real_client):
    params = StdioServerParameters(command=QA_SCRIPT, args=["mcp"], env=script_env(real_app))

    async def session():
        async with Client(params) as mcp:
            tools = (await mcp.list_tools()).tools
            calls = await session_calls(
                mcp, [("ask", {"question": SAMPLE_QUESTION, "k": 5}), ("ask", {"question": " "}), ("check_claim", {"claim": CLAIM})]
            )
            cited = calls[0].structured_content["passages"][0]["citation"]
            span = await mcp.call_tool("get_source", {"source": cited["source"], "start": cited["start"], "end": cited["end"]})
            return tools, calls, span

    tools, (asked, blank, checked), span = run(session())
    assert {tool.name for tool in tools} == TOOLS
    api = real_client.post("/api/ask", json={"question": SAMPLE_QUESTION, "k": 5}).get_json()
    cli = json.loads(cli_runner(real_app).invoke(args=["ask", SAMPLE_QUESTION, "-k", "5", "--json"]).output)
    assert passages(asked.structured_content) == passages(api) == passages(cli)
    assert asked.structured_content["answered"] is True
    assert span.structured_content["excerpt"]["text"] == asked.structured_content["passages"][0]["text"]
    assert blank.is_error and blank.content[0].text == "'question' is blank"
    api_check = real_client.post("/api/check", json={"claim": CLAIM}).get_json()
    assert checked.structured_content["verdict"] == api_check["verdict"]
    assert [s["citation"] for s in checked.structured_content["sources"]] == [s["citation"] for s in api_check["sources"]]


class McpHttpServer(LiveServer):
    """``qa mcp --http`` on a free loopback port, ready once the port accepts connections."""

    def __init__(self, real_app, log_path: Path, **settings: object):
        port = free_port()
        command = [QA_SCRIPT, "mcp", "--http", "--host", "127.0.0.1", "--port", str(port)]
        super().__init__(log_path, command=command, port=port)
        self.env = script_env(real_app, **settings)

    def start(self) -> McpHttpServer:
        self.launch()

        def accepting() -> bool:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True

        try:
            self.wait_until(accepting, "accept connections", 120)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    def post_mcp(self, headers: dict[str, str]) -> int:
        """Status of a raw ``initialize`` (the one request a session may start with)."""
        params = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}).encode()
        base = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        return self.request("POST", "/mcp", body, {**base, **headers})[0]


async def http_calls(url: str, calls: list[tuple[str, dict[str, Any]]], headers: dict[str, str] | None = None) -> list[Any]:
    async with (
        httpx2.AsyncClient(headers=headers or {}, timeout=120) as http,
        Client(streamable_http_client(url, http_client=http)) as mcp,
    ):
        return await session_calls(mcp, calls)


@pytest.mark.slow
def test_http_answers_as_the_api_and_refuses_foreign_origins(real_app, real_client, tmp_path):
    with McpHttpServer(real_app, tmp_path / "mcp.log") as server:
        asked, bad, good = run(
            http_calls(server.mcp_url, [("ask", {"question": SAMPLE_QUESTION}), ("ask", {"question": "x", "k": 99}), ("list_sources", {})])
        )
        api = real_client.post("/api/ask", json={"question": SAMPLE_QUESTION}).get_json()
        assert passages(asked.structured_content) == passages(api)
        assert bad.is_error and bad.content[0].text == "'k' must be between 1 and 20"
        assert not good.is_error and good.structured_content == real_client.get("/api/sources").get_json()
        assert server.post_mcp({}) == 200
        assert server.post_mcp({"Origin": f"http://127.0.0.1:{server.port}"}) == 200
        assert server.post_mcp({"Origin": "http://evil.example"}) == 403
        assert server.post_mcp({"Host": "evil.example"}) == 421


@pytest.mark.slow
def test_http_requires_the_token_when_set(real_app, tmp_path):
    with McpHttpServer(real_app, tmp_path / "mcp.log", MCP_TOKEN="s3cret-token") as server:
        assert server.post_mcp({}) == 401
        assert server.post_mcp({"Authorization": "Bearer wrong"}) == 401
        assert server.post_mcp({"Authorization": "Bearer s3cret-token"}) == 200
        (listed,) = run(http_calls(server.mcp_url, [("list_sources", {})], {"Authorization": "Bearer s3cret-token"}))
        assert not listed.is_error and listed.structured_content["sources"]
        with pytest.raises(ExceptionGroup) as refused:  # the SDK client's task group, around the 401
            run(http_calls(server.mcp_url, [("list_sources", {})]))
        assert refused.group_contains(MCPError)
    assert "s3cret-token" not in server.log()
    assert os.environ.get("QA_MCP_TOKEN") is None


def test_a_build_published_meanwhile_is_what_the_next_call_reads(app, mcp_server):
    """As the HTTP API does: another process publishes a build (here another service, as
    ``qa index`` does), and the open session's next call answers from it."""
    service = app.extensions["qa"]

    async def calls():
        async with Client(mcp_server.server) as mcp:
            before = (await mcp.call_tool("list_sources", {})).structured_content
            (service.seeds_dir / "zz_added.txt").write_text(
                "Un article ajouté\n\nCet article arrive après le démarrage du serveur MCP.\n", encoding="utf-8"
            )
            service.with_settings(service.settings).rebuild()
            after = (await mcp.call_tool("list_sources", {})).structured_content
            return before, after

    before, after = run(calls())
    assert "zz_added.txt" not in [s["source"] for s in before["sources"]]
    assert "zz_added.txt" in [s["source"] for s in after["sources"]]
