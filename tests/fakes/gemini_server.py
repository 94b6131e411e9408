"""A local stand-in for Google's Gemini API, speaking its wire protocol to the real SDK.

It serves what the product's Gemini adapters call, on 127.0.0.1 and a free port:

- `POST /{version}/models/{model}:generateContent`   images
- `GET  /{version}/models/{model}`                    the lifecycle check
- `POST /{version}/interactions`                      a video render is submitted
- `GET  /{version}/interactions/{id}`                 … polled
- `POST /{version}/interactions/{id}/cancel`          … cancelled
- `GET  /{version}/files/{name}:download?alt=media`   the SDK's file download
- `GET  /media/{name}`                                a plain URI (no key needed), for the
                                                      adapter's fallback download

Every request is recorded (method, path, query, headers, body) for the test to assert on.
A test scripts the answers per route with `fake.reply(route, Reply(...))`, in order; a route
with nothing scripted answers as the service would for a plain success. Errors use Google's
body, `{"error": {"code", "message", "status"}}`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

API_KEY = "g-test"

# A valid 1x1 PNG, so an answer's bytes are a real image.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"fake-video-frames" * 8

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

ROUTES = ("generate", "model", "create", "get", "cancel", "download", "media")


@dataclass
class Reply:
    """One scripted answer: a status, a JSON (or raw bytes) body, headers, and a delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def error(status: int, message: str, *, headers: dict[str, str] | None = None) -> Reply:
    """Google's error body for `status`."""
    body = {
        "error": {
            "code": status,
            "message": message,
            "status": _STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }
    return Reply(status=status, body=body, headers=headers or {})


def image_answer(
    data: bytes = PNG_1X1, *, mime_type: str = "image/png", camel: bool = True
) -> Reply:
    """A generateContent answer carrying one image (and a line of text, as the model adds)."""
    inline_key, mime_key = ("inlineData", "mimeType") if camel else ("inline_data", "mime_type")
    return Reply(
        body={
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": "Here is the storyboard."},
                            {
                                inline_key: {
                                    mime_key: mime_type,
                                    "data": base64.b64encode(data).decode(),
                                }
                            },
                        ],
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 25,
                "candidatesTokenCount": 1290,
                "totalTokenCount": 1315,
            },
            "modelVersion": "gemini-3.1-flash-image",
        }
    )


def blocked_answer(reason: str = "PROHIBITED_CONTENT", message: str = "") -> Reply:
    feedback: dict[str, Any] = {"blockReason": reason}
    if message:
        feedback["blockReasonMessage"] = message
    return Reply(
        body={
            "promptFeedback": feedback,
            "usageMetadata": {"promptTokenCount": 25, "totalTokenCount": 25},
        }
    )


def no_image_answer(finish_reason: str = "IMAGE_SAFETY", text: str = "") -> Reply:
    content: dict[str, Any] = {"role": "model", "parts": [{"text": text}] if text else []}
    return Reply(
        body={
            "candidates": [{"content": content, "finishReason": finish_reason, "index": 0}],
            "usageMetadata": {"promptTokenCount": 25, "totalTokenCount": 25},
        }
    )


def interaction(
    interaction_id: str,
    status: str,
    *,
    model: str = "gemini-omni-1.2-flash",
    video_data: bytes | None = None,
    video_uri: str | None = None,
    errors: list[dict[str, str]] | None = None,
    text: str | None = None,
) -> dict[str, Any]:
    """An Interaction resource as `GET /interactions/{id}` returns it."""
    body: dict[str, Any] = {
        "id": interaction_id,
        "status": status,
        "model": model,
        "created": "2026-11-20T10:00:00Z",
        "updated": "2026-11-20T10:00:05Z",
        "steps": [],
    }
    content: list[dict[str, Any]] = []
    if text is not None:
        content.append({"type": "text", "text": text})
    if video_data is not None:
        content.append(
            {
                "type": "video",
                "mime_type": "video/mp4",
                "data": base64.b64encode(video_data).decode(),
            }
        )
    if video_uri is not None:
        content.append({"type": "video", "mime_type": "video/mp4", "uri": video_uri})
    if content:
        body["steps"].append({"type": "model_output", "content": content})
    if errors is not None:
        body["errors"] = errors
    if status == "completed":
        body["usage"] = {"total_input_tokens": 300, "total_output_tokens": 46336}
    return body


class GeminiFake:
    """The fake service; use as a context manager or call `start()` / `stop()`."""

    def __init__(self, *, api_key: str = API_KEY, known_models: tuple[str, ...] | None = None):
        self.api_key = api_key
        # None: every model is known; else the others answer 404 as a retired model does.
        self.known_models = known_models
        self.requests: list[Recorded] = []
        self.files: dict[str, bytes] = {}
        self.interactions: dict[str, dict[str, Any]] = {}
        self._script: dict[str, deque[Reply | Callable[[Recorded], Reply]]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> GeminiFake:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers that are sleeping out a scripted delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> GeminiFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake is not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---------------------------------------------------------------- scripting
    def reply(self, route: str, *replies: Reply | Callable[[Recorded], Reply]) -> None:
        """Queues answers for a route (see ROUTES), used in order before the default."""
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; one of {ROUTES}")
        with self._lock:
            self._script[route].extend(replies)

    def requests_to(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if _route_of(r.method, r.path)[0] == route]

    # ---------------------------------------------------------------- answering
    def _answer(self, recorded: Recorded) -> Reply:
        route, groups = _route_of(recorded.method, recorded.path)
        if route is None:
            return error(404, f"no such method: {recorded.method} {recorded.path}")
        # A plain media URI stands for a signed link elsewhere: it needs no key.
        if route != "media" and recorded.headers.get("x-goog-api-key") != self.api_key:
            return error(403, "Method doesn't allow unregistered callers (API key not valid).")
        with self._lock:
            queued = self._script[route].popleft() if self._script[route] else None
        if queued is not None:
            return queued(recorded) if callable(queued) else queued
        return getattr(self, f"_default_{route}")(recorded, *groups)

    def _known(self, model: str) -> bool:
        return self.known_models is None or model in self.known_models

    def _unknown_model(self, model: str) -> Reply:
        return error(
            404,
            f"models/{model} is not found for API version v1beta, or is not supported.",
        )

    def _default_generate(self, recorded: Recorded, version: str, model: str) -> Reply:
        if not self._known(model):
            return self._unknown_model(model)
        body = recorded.json or {}
        if not body.get("contents"):
            return error(400, "* GenerateContentRequest.contents: contents is not specified")
        return image_answer()

    def _default_model(self, recorded: Recorded, version: str, model: str) -> Reply:
        if not self._known(model):
            return self._unknown_model(model)
        return Reply(
            body={
                "name": f"models/{model}",
                "version": "001",
                "displayName": model,
                "inputTokenLimit": 65536,
                "outputTokenLimit": 32768,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
            }
        )

    def _default_create(self, recorded: Recorded, version: str) -> Reply:
        body = recorded.json or {}
        model = body.get("model", "")
        if not self._known(model):
            return self._unknown_model(model)
        interaction_id = "v1_" + uuid.uuid4().hex
        created = interaction(interaction_id, "queued" if body.get("background") else "completed")
        created["model"] = model
        with self._lock:
            self.interactions[interaction_id] = created
        return Reply(body=created)

    def _default_get(self, recorded: Recorded, version: str, interaction_id: str) -> Reply:
        with self._lock:
            found = self.interactions.get(interaction_id)
        if found is None:
            return error(404, f"Interaction {interaction_id} not found.")
        return Reply(body=found)

    def _default_cancel(self, recorded: Recorded, version: str, interaction_id: str) -> Reply:
        with self._lock:
            found = self.interactions.get(interaction_id)
            if found is not None:
                found["status"] = "cancelled"
        if found is None:
            return error(404, f"Interaction {interaction_id} not found.")
        return Reply(body=found)

    def _default_download(self, recorded: Recorded, version: str, name: str) -> Reply:
        return self._file(name)

    def _default_media(self, recorded: Recorded, name: str) -> Reply:
        return self._file(name)

    def _file(self, name: str) -> Reply:
        if name not in self.files:
            return error(404, f"File {name} not found.")
        return Reply(body=self.files[name], content_type="video/mp4")

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("POST", "generate", re.compile(r"^/(v\w+)/models/([^/:]+):generateContent$")),
    ("GET", "model", re.compile(r"^/(v\w+)/models/([^/:]+)$")),
    ("POST", "create", re.compile(r"^/(v\w+)/interactions$")),
    ("GET", "get", re.compile(r"^/(v\w+)/interactions/([^/]+)$")),
    ("POST", "cancel", re.compile(r"^/(v\w+)/interactions/([^/]+)/cancel$")),
    ("GET", "download", re.compile(r"^/(v\w+)/files/([^/:]+):download$")),
    ("GET", "media", re.compile(r"^/media/([^/]+)$")),
)


def _route_of(method: str, path: str) -> tuple[str | None, tuple[str, ...]]:
    for route_method, route, pattern in _PATTERNS:
        match = pattern.match(path)
        if match and method == route_method:
            return route, match.groups()
    return None, ()


def _handler_for(fake: GeminiFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep test output clean

        def do_GET(self) -> None:  # noqa: N802
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            recorded = Recorded(
                method=method,
                path=unquote(parts.path),
                query=parse_qs(parts.query),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            with fake._lock:
                fake.requests.append(recorded)
            reply = fake._answer(recorded)
            if reply.delay:
                fake._wait(reply.delay)
                if fake._stopping.is_set():
                    return
            if isinstance(reply.body, bytes | bytearray):
                payload = bytes(reply.body)
            else:
                payload = json.dumps(reply.body if reply.body is not None else {}).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to answer

    return Handler


def b64decode_any(text: str) -> bytes:
    """Standard or URL-safe base64: the SDK sends `bytes` fields URL-safe (`-`, `_`)."""
    return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)


def inline_images(recorded: Recorded) -> list[tuple[str, bytes]]:
    """The (mime type, bytes) of every inline image in a generateContent request."""
    found = []
    for content in (recorded.json or {}).get("contents", []):
        for part in content.get("parts", []):
            inline = part.get("inlineData") or part.get("inline_data")
            if inline:
                mime = inline.get("mimeType") or inline.get("mime_type") or ""
                found.append((mime, b64decode_any(inline["data"])))
    return found


def texts(recorded: Recorded) -> list[str]:
    """The text parts of a generateContent request."""
    return [
        part["text"]
        for content in (recorded.json or {}).get("contents", [])
        for part in content.get("parts", [])
        if "text" in part
    ]
