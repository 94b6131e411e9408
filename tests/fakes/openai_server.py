"""A local server that speaks the OpenAI wire protocol, for contract tests through the real SDK.

It serves `POST /v1/responses`, `POST /v1/chat/completions` and `GET /v1/models/{id}` (any
method and path, in fact) from queues of canned replies that each test scripts, and records
every request it receives (method, path, headers, JSON body) so tests can assert on what the
SDK really sent. A request with nothing queued gets a 400 that says so, which no adapter
retries, so a test that forgot a reply fails loudly instead of hanging.

    fake = FakeOpenAI()
    fake.reply("POST", "/v1/responses", Reply(body=responses_body('{"title": ...}')))
    writer = ...  # base_url = fake.base_url
    fake.requests[0].headers["authorization"]
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One canned answer: status, JSON body (or raw text), headers, and a delay before it."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # the parsed JSON body, or None


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._replies: dict[tuple[str, str], deque[Reply]] = {}
        self._lock = threading.Lock()
        # Delayed replies wait on this, so stopping the server cuts a "hung" reply short.
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reply(self, method: str, path: str, *replies: Reply, times: int = 1) -> None:
        """Queues replies for `method path`, each repeated `times` times, in order."""
        with self._lock:
            queue = self._replies.setdefault((method.upper(), path), deque())
            for reply in replies:
                queue.extend([reply] * times)

    def requests_to(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # ------------------------------------------------------------ the HTTP side
    def _next(self, method: str, path: str) -> Reply:
        with self._lock:
            queue = self._replies.get((method, path))
            if queue:
                return queue.popleft()
        return Reply(
            status=400,
            body=error_body(f"fake server: no reply queued for {method} {path}", code="unscripted"),
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode(errors="replace")
                path = self.path.split("?")[0]
                with fake._lock:
                    fake.requests.append(
                        Request(
                            method=self.command,
                            path=path,
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                        )
                    )
                reply = fake._next(self.command, path)
                if reply.delay and fake._stopping.wait(reply.delay):
                    return
                if isinstance(reply.body, str | bytes):
                    payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
                    content_type = "text/plain"
                else:
                    payload = json.dumps(reply.body).encode()
                    content_type = "application/json"
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.send_header("x-request-id", f"req_{len(fake.requests)}")
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test): nothing to answer

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        return Handler


# ---------------------------------------------------------------- bodies as OpenAI sends them
def responses_body(
    text: str | None = None,
    *,
    refusal: str | None = None,
    status: str = "completed",
    incomplete_reason: str | None = None,
    error: dict | None = None,
    usage: tuple[int, int] = (1200, 3400),
    model: str = "gpt-6.1-sol",
) -> dict:
    """A Responses API answer: a reasoning item, then a message with output text or a refusal."""
    content = []
    if text is not None:
        content.append({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
    if refusal is not None:
        content.append({"type": "refusal", "refusal": refusal})
    return {
        "id": "resp_fake",
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": model,
        "error": error,
        "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
        "output": [
            {"type": "reasoning", "id": "rs_fake", "summary": []},
            {
                "type": "message",
                "id": "msg_fake",
                "status": "completed" if status == "completed" else "incomplete",
                "role": "assistant",
                "content": content,
            },
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": usage[0],
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": usage[1],
            "output_tokens_details": {"reasoning_tokens": usage[1] // 2},
            "total_tokens": usage[0] + usage[1],
        },
    }


def chat_body(
    content: str | None = None,
    *,
    refusal: str | None = None,
    finish_reason: str = "stop",
    usage: tuple[int, int] = (1100, 3300),
    model: str = "gpt-6.1-sol",
) -> dict:
    """A Chat Completions answer with one choice."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        },
    }


def error_body(
    message: str, *, type: str = "invalid_request_error", code: str | None = None, param=None
) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def model_body(model: str, *, shutdown_date: str | None = None) -> dict:
    return {
        "id": model,
        "object": "model",
        "created": 1_780_000_000,
        "owned_by": "openai",
        "shutdown_date": shutdown_date,
    }
