"""The MCP server: the service's tools and articles over the Model Context Protocol (stdio or Streamable HTTP).

The one module that imports the ``mcp`` SDK (v2: its low-level ``Server``, so that every
argument reaches the API's own parsers). ``QAMcp`` takes a ``QAService`` and no web
framework; ``qa mcp`` (``qa.cli.mcp``) runs it.

* Tools: ``ask``, ``check_claim``, ``list_sources``, ``get_source``, ``stories``, each
  read-only, with an argument schema from the live limits and an output schema
  (``qa.mcp.schemas``). A call's arguments are checked by ``qa.service.requests``, the
  HTTP API's parsers, so a bad one is answered as the API answers it: a tool error
  (``is_error``) whose text is the API's message and whose structured content is the API's
  error body. The session goes on.
* A result's structured content is the HTTP API's JSON (``qa.service.serialise``); its text
  is the CLI's rendering (``qa.service.render``) for clients that show only text.
* Resources: each indexed article is ``article://<source>`` (the name percent-encoded),
  its text exactly as citations slice it, its metadata in ``_meta``.
* HTTP: the SDK's Streamable HTTP app at ``/mcp``, with its DNS-rebinding protection on
  (foreign ``Host`` or ``Origin`` refused), wrapped in ``HttpGuard``: the bearer token
  ``QA_MCP_TOKEN`` when set (required to bind a non-loopback host), and a per-client rate
  limit from ``QA_RATELIMIT``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

import anyio
import mcp_types as types
from limits import parse as parse_limit
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError

from qa.index.layout import package_version
from qa.mcp.schemas import OUTPUT_SCHEMAS, input_schemas
from qa.service.core import SERVICE_ERRORS, QAService, SourceNotFound, service_failure
from qa.service.errors import APIError, BadRequest, ErrorCode, error_body
from qa.service.render import byline, format_answer, format_check, source_heading
from qa.service.requests import parse_ask, parse_check
from qa.service.serialise import answer_json, check_json, source_json, source_list_json, story_list_json

log = logging.getLogger(__name__)

ARTICLE_SCHEME = "article://"
MCP_PATH = "/mcp"
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
READ_ONLY = types.ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

DESCRIPTIONS = {
    "ask": (
        "Answer a question (French or English) from the news articles: the passages that answer it, best first, each "
        "with a citation (source, paragraph, character offsets) that slices the article text exactly. When the "
        "articles do not answer, `answered` is false and `abstention` says why."
    ),
    "check_claim": (
        "Check a claim against the articles: which state it, state it differently (number, date, name, quote), "
        "hedge or contradict it, each with the exact sentence, and who reported it first."
    ),
    "list_sources": "List the indexed articles: source name, title, outlet, publication date, URL.",
    "get_source": (
        "One article's exact text and metadata, as citations slice it. With `start` and/or `end`, also the "
        "excerpt text[start:end] (0 <= start <= end <= len(text)): give a citation's offsets to read its passage."
    ),
    "stories": "The stories: groups of articles from several outlets reporting the same event.",
}
TITLES = {
    "ask": "Ask the articles",
    "check_claim": "Check a claim",
    "list_sources": "List the articles",
    "get_source": "Read an article",
    "stories": "List the stories",
}


class McpConfigError(ValueError):
    """The HTTP server cannot start as configured (a non-loopback host without a token)."""


class ToolFailure(Exception):
    """A call answered as a tool error: the API's error code and message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def article_uri(source: str) -> str:
    """``article://<source>``, the source name percent-encoded (``#`` of a feed line included)."""
    return ARTICLE_SCHEME + quote(source, safe="")


def _text_result(text: str, structured: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=structured)


def _error_result(code: str, message: str) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=message)], structured_content=error_body(code, message), is_error=True
    )


def _present(arguments: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The request body the API would get: the arguments given (an absent one stays absent)."""
    return {name: arguments[name] for name in names if name in arguments}


def _offset(arguments: dict[str, Any], name: str, default: int, length: int) -> int:
    value = arguments.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"'{name}' must be an integer", code=ErrorCode.INVALID_FIELD)
    if not 0 <= value <= length:
        raise BadRequest(f"'{name}' must be between 0 and {length} (the article's length)", code=ErrorCode.OUT_OF_RANGE)
    return value


class QAMcp:
    """The MCP server of one ``QAService``: its tools, its article resources and its transports."""

    def __init__(self, service: QAService):
        self.service = service
        self.limits = service.settings.limits
        self._tools = self._tool_list()
        self._handlers: dict[str, Callable[[dict[str, Any]], types.CallToolResult]] = {
            "ask": self.ask,
            "check_claim": self.check_claim,
            "list_sources": self.list_sources,
            "get_source": self.get_source,
            "stories": self.stories,
        }
        self.server: Server[Any] = Server(
            "newsqa",
            version=package_version(),
            title="News QA",
            instructions=(
                "Answers questions and checks claims over a fixed set of news articles (French and English). "
                "Every passage carries a citation: get_source with its start and end gives back the exact passage."
            ),
            on_list_tools=self._on_list_tools,
            on_call_tool=self._on_call_tool,
            on_list_resources=self._on_list_resources,
            on_list_resource_templates=self._on_list_resource_templates,
            on_read_resource=self._on_read_resource,
        )

    # ---- tools

    def _tool_list(self) -> list[types.Tool]:
        schemas = input_schemas(self.limits)
        return [
            types.Tool(
                name=name,
                title=TITLES[name],
                description=DESCRIPTIONS[name],
                input_schema=schemas[name],
                output_schema=OUTPUT_SCHEMAS[name],
                annotations=READ_ONLY.model_copy(update={"title": TITLES[name]}),
            )
            for name in DESCRIPTIONS
        ]

    def ask(self, arguments: dict[str, Any]) -> types.CallToolResult:
        """``POST /api/ask``: the same body, the same parser, the same JSON."""
        query = parse_ask(_present(arguments, ("question", "k", "history", "outlets", "since", "until")), self.limits)
        answer = self.service.ask(query.question, query.k, query.history, query.filter)
        return _text_result(format_answer(answer), answer_json(answer))

    def check_claim(self, arguments: dict[str, Any]) -> types.CallToolResult:
        """``POST /api/check``."""
        claim = parse_check(_present(arguments, ("claim", "k", "outlets", "since", "until")), self.limits)
        result = self.service.check(claim.claim, claim.k, claim.filter)
        return _text_result(format_check(result), check_json(result))

    def list_sources(self, arguments: dict[str, Any]) -> types.CallToolResult:
        """``GET /api/sources``."""
        articles = list(self.service.index.articles.values())
        lines = [f"{a.source}: {a.title}" + (f" ({byline(a)})" if byline(a) else "") for a in articles]
        return _text_result("\n".join(lines) + "\n", source_list_json(articles))

    def get_source(self, arguments: dict[str, Any]) -> types.CallToolResult:
        """``GET /api/sources/<source>``, and with ``start``/``end`` the exact slice of its text."""
        if "source" not in arguments:
            raise BadRequest("'source' is required", code=ErrorCode.MISSING_FIELD)
        source = arguments["source"]
        if not isinstance(source, str):
            raise BadRequest("'source' must be a string", code=ErrorCode.INVALID_FIELD)
        article = self.service.article(source)
        structured = source_json(article, self.service.stories())
        head = source_heading(article)
        if arguments.get("start") is None and arguments.get("end") is None:
            return _text_result(f"{head}\n\n{article.text}\n", structured)
        length = len(article.text)
        start, end = _offset(arguments, "start", 0, length), _offset(arguments, "end", length, length)
        if start > end:
            raise BadRequest(f"'start' ({start}) is after 'end' ({end})", code=ErrorCode.OUT_OF_RANGE)
        excerpt = article.text[start:end]
        structured["excerpt"] = {"start": start, "end": end, "text": excerpt}
        return _text_result(f"{head} [{start}:{end}]\n\n{excerpt}\n", structured)

    def stories(self, arguments: dict[str, Any]) -> types.CallToolResult:
        """``GET /api/stories``."""
        stories = self.service.stories()
        lines = [f"{story.id}: " + " | ".join(story.titles) for story in stories.stories]
        return _text_result(("\n".join(lines) or "No story: no two articles report the same event.") + "\n", story_list_json(stories))

    def call(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        """Run one tool call (blocking), every failure turned into a tool error as the API would word it."""
        handler = self._handlers.get(name)
        if handler is None:
            return _error_result(ErrorCode.NOT_FOUND, f"no tool named {name!r} (tools: {', '.join(self._handlers)})")
        try:
            return handler(arguments)
        except APIError as error:
            return _error_result(error.code, error.message)
        except SERVICE_ERRORS as error:
            status, code, message = service_failure(error)
            if status >= 500:
                log.error("cannot answer the MCP tool %s: %s", name, error)
            return _error_result(code, message)
        except Exception:
            log.exception("the MCP tool %s failed", name)
            return _error_result(ErrorCode.INTERNAL_ERROR, "internal error; the server's log has the details")

    async def _on_list_tools(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self._tools)

    async def _on_call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = dict(params.arguments or {})
        # The search is CPU work: on a worker thread, so that the event loop serves other sessions meanwhile.
        return await anyio.to_thread.run_sync(self.call, params.name, arguments)

    # ---- resources

    def _article_resource(self, source: str) -> types.Resource:
        article = self.service.article(source)
        return types.Resource(
            uri=article_uri(article.source),
            name=article.source,
            title=article.title,
            description=byline(article) or None,
            mime_type="text/plain",
            size=len(article.text.encode("utf-8")),
            _meta={name: value for name in ("outlet", "published", "url", "author") if (value := getattr(article, name))},
        )

    async def _on_list_resources(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
        def listing() -> list[types.Resource]:
            return [self._article_resource(source) for source in self.service.index.articles]

        return types.ListResourcesResult(resources=await anyio.to_thread.run_sync(listing))

    async def _on_list_resource_templates(
        self, ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        template = types.ResourceTemplate(
            uri_template=ARTICLE_SCHEME + "{source}",
            name="article",
            title="A news article",
            description="An indexed article's exact text (what citations slice); {source} is a citation's source.",
            mime_type="text/plain",
        )
        return types.ListResourceTemplatesResult(resource_templates=[template])

    async def _on_read_resource(self, ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        if not uri.startswith(ARTICLE_SCHEME):
            raise MCPError(code=types.INVALID_PARAMS, message=f"unknown resource {uri!r}: articles are {ARTICLE_SCHEME}<source>")
        source = unquote(uri[len(ARTICLE_SCHEME) :])

        def read() -> types.ReadResourceResult:
            try:
                resource = self._article_resource(source)
            except SourceNotFound as error:
                raise MCPError(code=types.INVALID_PARAMS, message=service_failure(error)[2], data={"uri": uri}) from None
            text = self.service.article(source).text
            return types.ReadResourceResult(
                contents=[types.TextResourceContents(uri=uri, text=text, mime_type="text/plain", _meta=resource.meta)]
            )

        return await anyio.to_thread.run_sync(read)

    # ---- transports

    def warm_up_in_background(self) -> threading.Thread:
        """Load the index and the model on a thread now, so that the first call does not wait for both."""

        def warm() -> None:
            try:
                self.service.warm_up()
            except Exception as error:  # the first call reports it as a tool error
                log.warning("warm-up failed: %s", error, exc_info=True)

        thread = threading.Thread(target=warm, name="qa-mcp-warm-up", daemon=True)
        thread.start()
        return thread

    async def run_stdio(self) -> None:
        """Serve one client on stdin/stdout until it closes them (the SDK moves stray prints to stderr)."""
        async with stdio_server() as (read_stream, write_stream):
            await self.server.run(read_stream, write_stream, self.server.create_initialization_options())

    def http_app(self, host: str = "127.0.0.1", token: str | None = None, rate_limits: list[str] | None = None) -> Any:
        """The ASGI app of ``qa mcp --http``: Streamable HTTP at ``/mcp`` behind ``HttpGuard``."""
        check_http_binding(host, token)
        allowed_hosts, allowed_origins = list(LOOPBACK_HOSTS), list(LOOPBACK_ORIGINS)
        if not is_loopback(host):
            bracketed = f"[{host}]" if ":" in host else host
            allowed_hosts.append(f"{bracketed}:*")
            allowed_origins += [f"http://{bracketed}:*", f"https://{bracketed}:*"]
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=allowed_hosts, allowed_origins=allowed_origins
        )
        app = self.server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            json_response=True,
            transport_security=security,
            host=host,
            max_request_body_size=self.limits.max_content_length,
        )
        return HttpGuard(app, token=token, limits=parse_rate_limits(rate_limits or []))

    def run_http(self, host: str, port: int, token: str | None, rate_limits: list[str]) -> None:
        """Serve Streamable HTTP with uvicorn until interrupted."""
        import uvicorn

        app = self.http_app(host, token, rate_limits)
        log.info("MCP over Streamable HTTP at http://%s:%d%s%s", host, port, MCP_PATH, " (bearer token required)" if token else "")
        uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_http_binding(host: str, token: str | None) -> None:
    """Refuse a non-loopback bind without a bearer token: anyone who reaches the port could use it."""
    if not is_loopback(host) and not token:
        raise McpConfigError(
            f"refusing to serve MCP on {host}, which is not a loopback address, without a token: set QA_MCP_TOKEN"
        )


def parse_rate_limits(limits: list[str]) -> list[tuple[int, float]]:
    """``QA_RATELIMIT``'s parts ("120/minute", "10 per 5 seconds") as (count, window in seconds),
    read by ``limits``, the parser Flask-Limiter reads them with; one it cannot read is
    skipped with a warning."""
    parsed = []
    for part in limits:
        try:
            item = parse_limit(part)
        except ValueError:
            log.warning("qa mcp ignores the rate limit %r, which is not a rate limit string", part)
            continue
        parsed.append((int(item.amount), float(item.get_expiry())))
    return parsed


class HttpGuard:
    """ASGI middleware before the SDK's app: the bearer token, then a fixed-window rate limit per client address.

    Both answer with the API's error body (``{"error": {"code", "message"}}``): 401 with
    ``WWW-Authenticate: Bearer``, 429 with ``Retry-After``. Counted in memory for this
    process; behind a proxy every client shares the proxy's address.
    """

    def __init__(self, app: Any, token: str | None = None, limits: list[tuple[int, float]] | None = None):
        self.app = app
        self.token = token.encode() if token else None
        self.limits = limits or []
        self._windows: dict[tuple[str, int], tuple[float, int]] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.token is not None and not self._authorised(scope):
            message = "this MCP server requires 'Authorization: Bearer <QA_MCP_TOKEN>'"
            await _send_error(send, 401, ErrorCode.UNAUTHORIZED, message, [(b"www-authenticate", b'Bearer realm="qa-mcp"')])
            return
        retry_after = self._over_limit((scope.get("client") or ("unknown", 0))[0])
        if retry_after is not None:
            message = "too many requests from this client; retry after Retry-After seconds"
            await _send_error(send, 429, ErrorCode.RATE_LIMITED, message, [(b"retry-after", str(retry_after).encode())])
            return
        await self.app(scope, receive, send)

    def _authorised(self, scope: dict[str, Any]) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self.token or b"")
        return False

    def _over_limit(self, client: str) -> int | None:
        """Count the request; seconds to wait when one of the limits is exceeded, else None."""
        now = time.monotonic()
        wait = None
        with self._lock:
            for number, (count, window) in enumerate(self.limits):
                started, used = self._windows.get((client, number), (now, 0))
                if now - started >= window:
                    started, used = now, 0
                used += 1
                self._windows[(client, number)] = (started, used)
                if used > count:
                    wait = max(wait or 0, int(window - (now - started)) + 1)
            if len(self._windows) > 100_000:  # forget old windows rather than grow without bound
                self._windows = {key: value for key, value in self._windows.items() if now - value[0] < 86400}
        return wait


async def _send_error(send: Callable[..., Any], status: int, code: str, message: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps(error_body(code, message)).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
