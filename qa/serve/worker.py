"""The gunicorn worker of ``qa serve``: whole requests are read on the event loop, then run.

gunicorn's threaded worker (``gthread``) hands a connection to a request thread as soon
as it is accepted or becomes readable, and the thread then reads the request with a
blocking socket. A client that sends part of a request and stalls holds that thread for
as long as it likes: eight such clients took a default ``qa serve`` (2 workers x 2
threads) down (docs/deploying.md, "gunicorn").

``BufferingWorker`` keeps gthread's event loop, thread pool and request handling, and
changes who reads. The loop reads each connection without blocking into a buffer until
it holds one whole request: the head (request line and headers), then the body its
``Content-Length`` or chunked framing announces. Only then does a request thread get the
connection, with a parser that reads from that buffer and never from the socket, so a
request thread never waits for a client. Idle and half-sent connections cost a socket
and a buffer:

* a request not complete ``request_timeout`` seconds (``QA_REQUEST_TIMEOUT``) after its
  connection opened, or after its first byte on a kept-alive connection, is answered
  ``408`` and closed; an idle kept-alive connection is closed after gunicorn's
  ``keepalive`` seconds;
* a head over ``max_head_bytes`` is answered ``431`` without being read further, and a
  body over the app's ``MAX_CONTENT_LENGTH`` is not buffered past it: the app answers
  ``413`` and the connection is closed.

A request gunicorn cannot parse (a bad request line, a header over 8 KiB, a request line
over 8 KiB, a bad ``Content-Length``, bad chunking) gets the service's one JSON error
shape (``qa.service.errors.error_body``) with a 4xx status, not gunicorn's HTML page. The model
never runs on the loop: questions are encoded on the embedder's own thread, which
releases the GIL while torch computes.
"""

from __future__ import annotations

import errno
import json
import selectors
import socket
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.http import errors as parse_errors
from gunicorn.http.unreader import Unreader
from gunicorn.workers.gthread import TConn, ThreadWorker

from qa.service.errors import ErrorCode, error_body
from qa.web.security import SECURITY_HEADERS

# --- framing: is the buffered request whole? -------------------------------------------------

MORE, READY, HEAD_TOO_LARGE = "more", "ready", "head_too_large"
_MAX_CHUNK_LINE = 4096


@dataclass
class RequestFrame:
    """Finds where one HTTP/1.x request ends in the bytes received so far.

    It checks only the framing (the end of the head, ``Content-Length``, chunk sizes) and
    says ``READY`` as soon as the request is whole, or as soon as the bytes already say it
    is malformed or over a limit: gunicorn's parser then reads the same bytes and answers
    the error. ``oversized`` and ``close_after`` tell the worker to close the connection
    after the answer, because the rest of that body was never read.
    """

    max_head: int
    max_body: int
    max_line: int = 8190  # gunicorn's limit_request_line
    data: bytearray = field(default_factory=bytearray)
    head_end: int = -1  # index just past the blank line that ends the head
    body_length: int | None = None  # Content-Length, once known
    chunked: bool = False
    chunk_pos: int = 0  # where the next chunk-size line starts
    chunk_total: int = 0
    expects_continue: bool = False
    oversized: bool = False
    state: str = MORE

    def feed(self, data: bytes) -> str:
        """Add received bytes; return ``MORE``, ``READY`` or ``HEAD_TOO_LARGE``."""
        if self.state != MORE:
            self.data += data
            return self.state
        start = max(0, len(self.data) - 3)
        self.data += data
        if self.head_end < 0:
            found = self.data.find(b"\r\n\r\n", start)
            if found < 0:
                line_end = self.data.find(b"\r\n")
                if line_end > self.max_line or (line_end < 0 and len(self.data) > self.max_line + 2):
                    self.state = READY  # the parser answers 414 from the request line alone
                elif len(self.data) > self.max_head:
                    self.state = HEAD_TOO_LARGE
                elif self.data.count(b"\n") != self.data.count(b"\r\n"):
                    self.state = READY  # a bare LF: the parser refuses it
                return self.state
            self.head_end = found + 4
            if self.head_end > self.max_head:
                self.state = HEAD_TOO_LARGE
                return self.state
            if not self._read_head():
                self.state = READY
                return self.state
        self.state = self._body_state()
        return self.state

    def _read_head(self) -> bool:
        """Framing headers; ``False`` when the parser must judge now (malformed or oversized)."""
        lengths, codings = [], []
        for line in bytes(self.data[: self.head_end - 4]).split(b"\r\n")[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                return False
            name = name.strip().lower()
            if name == b"content-length":
                lengths.append(value.strip())
            elif name == b"transfer-encoding":
                codings += [part.strip().lower() for part in value.split(b",")]
            elif name == b"expect" and value.strip().lower() == b"100-continue":
                self.expects_continue = True
        if codings:
            if lengths or codings[-1] != b"chunked":
                return False
            self.chunked = True
            self.chunk_pos = self.head_end
            return True
        if not lengths:
            self.body_length = 0
            return True
        if len(set(lengths)) != 1 or not lengths[0].isdigit():
            return False
        self.body_length = int(lengths[0])
        if self.body_length > self.max_body:
            self.oversized = True  # the app answers 413 from the head alone
            return False
        return True

    def _body_state(self) -> str:
        if not self.chunked:
            assert self.body_length is not None
            return READY if len(self.data) - self.head_end >= self.body_length else MORE
        while True:
            line_end = self.data.find(b"\r\n", self.chunk_pos)
            if line_end < 0:
                return READY if len(self.data) - self.chunk_pos > _MAX_CHUNK_LINE else MORE
            size_text = bytes(self.data[self.chunk_pos : line_end]).split(b";")[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                return READY  # the parser answers the bad chunk size
            if size == 0:
                rest = line_end + 2
                if self.data[rest : rest + 2] == b"\r\n" or self.data.find(b"\r\n\r\n", rest - 2) >= 0:
                    return READY
                return READY if len(self.data) - rest > self.max_head else MORE
            chunk_start = line_end + 2
            if self.chunk_total + min(size, len(self.data) - chunk_start) > self.max_body:
                self.oversized = True  # over the limit and buffered: the app answers 413 from it
                return READY
            if len(self.data) < chunk_start + size + 2:
                return MORE
            self.chunk_total += size
            self.chunk_pos = chunk_start + size + 2

    def waiting_for_body(self) -> bool:
        return self.head_end >= 0 and self.state == MORE


# --- errors as the service's JSON ------------------------------------------------------------

_REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long",
            417: "Expectation Failed", 431: "Request Header Fields Too Large", 500: "Internal Server Error"}


def error_bytes(status: int, code: str, message: str) -> bytes:
    """A whole HTTP response carrying the one JSON error shape, for errors raised outside the app."""
    body = json.dumps(error_body(code, message), ensure_ascii=False).encode()
    headers = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}", "Connection: close",
               "Content-Type: application/json", f"Content-Length: {len(body)}"]
    headers += [f"{name}: {value}" for name, value in SECURITY_HEADERS.items()]
    return ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1") + body


# What each of gunicorn's parse errors becomes, first match wins: (exception types, a word
# the error's text must hold or "", status, code, message with ``{text}`` the error's text).
PARSE_ERRORS: tuple[tuple[tuple[type[BaseException], ...], str, int, ErrorCode, str], ...] = (
    ((parse_errors.LimitRequestLine,), "", 414, ErrorCode.URI_TOO_LONG,
     "the request line is longer than the limit of 8190 bytes ({text})"),
    ((parse_errors.LimitRequestHeaders,), "", 431, ErrorCode.HEADERS_TOO_LARGE, "the request headers are over the limit: {text}"),
    ((parse_errors.ExpectationFailed,), "", 417, ErrorCode.EXPECTATION_FAILED, "unsupported Expect header: {text}"),
    ((parse_errors.InvalidChunkSize, parse_errors.ChunkMissingTerminator, parse_errors.InvalidChunkExtension), "",
     400, ErrorCode.INVALID_CHUNKED_BODY, "the chunked body is malformed: {text}"),
    ((parse_errors.UnsupportedTransferCoding,), "", 400, ErrorCode.UNSUPPORTED_TRANSFER_CODING,
     "only chunked transfer coding is accepted: {text}"),
    ((parse_errors.InvalidHeader,), "CONTENT-LENGTH", 400, ErrorCode.INVALID_CONTENT_LENGTH,
     "Content-Length must be one non-negative integer, and not be sent with Transfer-Encoding"),
    ((parse_errors.InvalidHeader,), "TRANSFER-ENCODING", 400, ErrorCode.INVALID_TRANSFER_ENCODING,
     "the Transfer-Encoding header is invalid or conflicts with Content-Length"),
    ((parse_errors.InvalidHeader, parse_errors.InvalidHeaderName, parse_errors.ObsoleteFolding), "", 400,
     ErrorCode.INVALID_HEADER, "a request header is malformed: {text}"),
    ((parse_errors.InvalidRequestLine, parse_errors.InvalidRequestMethod, parse_errors.InvalidHTTPVersion), "", 400,
     ErrorCode.INVALID_REQUEST_LINE, "the request line is not valid HTTP/1.x: {text}"),
    ((parse_errors.ParseException,), "", 400, ErrorCode.BAD_REQUEST, "the request cannot be parsed: {text}"),
)  # fmt: skip


def describe_parse_error(error: BaseException) -> tuple[int, str, str]:
    """Status, code and message for an exception gunicorn's parser raised (``PARSE_ERRORS``)."""
    text = str(error)
    for types, word, status, code, message in PARSE_ERRORS:
        if isinstance(error, types) and word in text.upper():
            return status, code, message.format(text=text)
    return 500, ErrorCode.INTERNAL_ERROR, "the server failed to answer; the error has been logged"


# --- the worker -----------------------------------------------------------------------------


class BufferUnreader(Unreader):
    """What the parser reads: the buffered request; past its end, end of stream, never the socket."""

    def __init__(self, data: bytes):
        super().__init__()
        self.buf.write(data)

    def chunk(self, size_hint: int | None = None) -> bytes:
        return b""


class BufferingWorker(ThreadWorker):
    """gthread, except that a request thread only ever gets a request already read whole."""

    #: Set by ``qa serve`` (``qa.serve.gunicorn.worker_class``).
    request_timeout: float = 10.0
    max_body: int = 32 * 1024
    max_head: int = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.reading: dict[TConn, float] = {}  # connection -> when to give up on it

    # -- reading, on the loop

    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client, address, listener.getsockname())  # non-blocking
        conn.frame = RequestFrame(self.max_head, self.max_body)
        conn.started = time.monotonic()
        self._read(conn)  # on loopback the request often came with the connection

    def _wait(self, conn: TConn) -> None:
        """Watch the connection until its request is whole or its time is up."""
        if not conn.frame.data:
            deadline = conn.started + (self.cfg.keepalive if conn.parser is not None else self.request_timeout)
        else:
            deadline = conn.started + self.request_timeout
        self.reading[conn] = deadline
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn: TConn, _sock: socket.socket) -> None:
        self.poller.unregister(conn.sock)
        self.reading.pop(conn, None)
        self._read(conn)

    def _read(self, conn: TConn) -> None:
        frame: RequestFrame = conn.frame
        closed = False
        while True:
            try:
                data = conn.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self._close(conn)
                return
            if not data:
                closed = True
                break
            if not frame.data and conn.parser is not None:
                conn.started = time.monotonic()  # a kept-alive connection's next request begins
            if frame.feed(data) != MORE:
                break
        if frame.state == HEAD_TOO_LARGE:
            self._refuse(conn, 431, ErrorCode.HEADERS_TOO_LARGE, f"the request head is over {self.max_head} bytes")
        elif frame.state == READY:
            self._dispatch(conn, close_after=closed or frame.oversized)
        elif closed:
            if frame.data:  # half-closed mid-request: let the app say what is missing
                self._dispatch(conn, close_after=True)
            else:
                self._close(conn)
        else:
            if frame.expects_continue and frame.waiting_for_body() and not getattr(conn, "continued", False):
                conn.continued = True
                self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
            self._wait(conn)

    def _dispatch(self, conn: TConn, close_after: bool) -> None:
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader = BufferUnreader(bytes(conn.frame.data))
        conn.close_after = close_after
        conn.initialized = conn.data_ready = True
        self.enqueue_req(conn)

    def murder_pending(self) -> None:
        """Give up on connections whose request is not whole in time (called every loop)."""
        super().murder_pending()
        now = time.monotonic()
        stopping = not self.alive  # a stopping worker drops connections that have sent nothing
        expired = [conn for conn, deadline in self.reading.items() if deadline <= now or (stopping and not conn.frame.data)]
        for conn in expired:
            self.reading.pop(conn, None)
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass
            if conn.frame.data:
                self.log.info("closing a connection from %s: its request was not complete after %s s",
                              conn.client[0] if conn.client else "?", self.request_timeout)
                self._refuse(conn, 408, ErrorCode.REQUEST_TIMEOUT,
                             f"the request was not complete after {self.request_timeout:g} seconds")
            else:
                self._close(conn)

    def _send(self, conn: TConn, data: bytes) -> None:
        try:
            conn.sock.send(data)  # small; a client that does not read loses it
        except OSError:
            pass

    def _refuse(self, conn: TConn, status: int, code: str, message: str) -> None:
        self._send(conn, error_bytes(status, code, message))
        self._close(conn)

    def _close(self, conn: TConn) -> None:
        self.nr_conns -= 1
        conn.close()

    # -- answering, on a request thread

    def handle(self, conn: TConn) -> bool:
        """Answer the buffered request; the parser never reads the socket (``BufferUnreader``)."""
        req = None
        try:
            conn.sock.setblocking(True)
            conn.sock.settimeout(self.request_timeout)  # bounds the write to a client that does not read
            req = next(conn.parser)
            if getattr(conn, "continued", False):
                req._expected_100_continue = False  # the loop has already sent it
            if conn.close_after:
                req.must_close = True
            return self.handle_request(req, conn) and not conn.close_after and conn.parser.finish_body()
        except (StopIteration, http.errors.NoMoreData):
            pass
        except OSError as error:  # the client went away or stopped reading
            self.log.debug("closing connection: %s", error)
        except Exception as error:
            self.handle_error(req, conn.sock, conn.client, error)
        return False

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        status, code, message = describe_parse_error(exc)
        peer = addr[0] if addr else "?"
        if status >= 500:
            self.log.exception("error handling a request from %s", peer)
        else:
            self.log.warning("invalid request from %s: %s (%s)", peer, code, exc)
        try:
            client.settimeout(1.0)
            client.sendall(error_bytes(status, code, message))
        except OSError:
            self.log.debug("could not send the error response")

    # -- back on the loop

    def finish_request(self, conn: TConn, fs: Any) -> None:
        try:
            keep = bool(fs.result()) if not fs.cancelled() else False
        except Exception:
            keep = False
        if not keep or not self.alive:
            self.nr_conns -= 1
            conn.close(graceful=keep)
            return
        leftover = conn.parser.unreader.take_buffered()  # a pipelined next request
        conn.sock.setblocking(False)
        conn.frame = RequestFrame(self.max_head, self.max_body)
        conn.continued = False
        conn.started = time.monotonic()
        if leftover and conn.frame.feed(leftover) != MORE:
            self._read(conn)
        else:
            self._wait(conn)


def worker_class(request_timeout: float, max_body: int) -> type[BufferingWorker]:
    """The worker class with the service's limits set."""
    return type("QAWorker", (BufferingWorker,), {"request_timeout": float(request_timeout), "max_body": int(max_body)})
