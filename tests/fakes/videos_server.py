"""A local stand-in for an OpenAI-compatible video gateway, speaking the `/v1/videos` protocol.

It serves what the openai SDK's `client.videos` and `client.models` call, on 127.0.0.1 and a
free port:

- `POST /v1/videos`                          multipart: prompt, model, seconds, size, and the
                                             file part input_reference
- `GET  /v1/videos/{id}`                     the video object, with `openai-poll-after-ms`
- `GET  /v1/videos/{id}/content?variant=video`  the MP4 bytes
- `GET  /v1/models/{id}`                     the lifecycle check

Every request is recorded (method, path, query, headers, body, and for multipart the fields
and files) for the test to assert on. A test scripts answers per route with
`fake.reply(route, Reply(...))`, used in order; a route with nothing scripted answers as the
service would. A render steps through `fake.steps` (one step per retrieve, staying on the last).
Errors use OpenAI's body, `{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import itertools
import json
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from PIL import Image

API_KEY = "gw-test"
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"fake-video-frames" * 64
ROUTES = ("create", "retrieve", "content", "model")

# One render as the service reports it on successive retrieves.
DEFAULT_STEPS: tuple[dict[str, Any], ...] = (
    {"status": "queued", "progress": 0},
    {"status": "in_progress", "progress": 45},
    {"status": "completed", "progress": 100},
)

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}


@dataclass
class Reply:
    """One scripted answer: a status, a JSON (or raw bytes) body, headers, and a delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"


@dataclass
class Upload:
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)


def error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """OpenAI's error body for `status`."""
    body = {
        "error": {
            "message": message,
            "type": _ERROR_TYPES.get(status, "server_error"),
            "param": param,
            "code": code,
        }
    }
    return Reply(status=status, body=body, headers=headers or {})


def model_object(model: str, *, shutdown_date: str | None = None) -> dict[str, Any]:
    return {
        "id": model,
        "object": "model",
        "created": 1_760_000_000,
        "owned_by": "gateway",
        "shutdown_date": shutdown_date,
    }


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Upload]]:
    """The text fields and the file parts of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[str(name)] = payload.decode()
        else:
            files[str(name)] = Upload(filename, part.get_content_type(), payload)
    return fields, files


class VideosFake:
    """The fake gateway; use as a context manager or call `start()` / `stop()`."""

    def __init__(self, *, api_key: str = API_KEY, known_models: tuple[str, ...] | None = None):
        self.api_key = api_key
        # None: every model renders; else the others answer 404 as an unknown model does.
        self.known_models = known_models
        self.steps: list[dict[str, Any]] = [dict(step) for step in DEFAULT_STEPS]
        self.poll_after_ms: int | None = None
        self.content = MP4_BYTES
        self.content_type = "video/mp4"
        # What `GET /v1/models/{id}` knows; the others answer 404.
        self.models: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.videos: dict[str, dict[str, Any]] = {}
        self._renders: dict[str, deque[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._script: dict[str, deque[Reply | Callable[[Recorded], Reply]]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> VideosFake:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval: `shutdown()` waits up to one interval, at every test's end.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
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

    def __enter__(self) -> VideosFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake is not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What the SDK takes as `base_url` (it appends `/videos`, `/models/…`)."""
        return f"http://127.0.0.1:{self.port}/v1"

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
            return error(404, f"Invalid URL ({recorded.method} {recorded.path})")
        if recorded.headers.get("authorization") != f"Bearer {self.api_key}":
            return error(401, "Incorrect API key provided.", code="invalid_api_key")
        with self._lock:
            queued = self._script[route].popleft() if self._script[route] else None
        if queued is not None:
            return queued(recorded) if callable(queued) else queued
        return getattr(self, f"_default_{route}")(recorded, *groups)

    def _default_create(self, recorded: Recorded) -> Reply:
        if not recorded.headers.get("content-type", "").startswith("multipart/form-data"):
            return error(400, "Expected a multipart/form-data body.")
        fields, files = recorded.fields, recorded.files
        model = fields.get("model", "sora-2")
        if self.known_models is not None and model not in self.known_models:
            return error(
                404,
                f"The model '{model}' does not exist or you do not have access to it.",
                code="model_not_found",
                param="model",
            )
        if not fields.get("prompt"):
            return error(400, "Missing required parameter: 'prompt'.", param="prompt")
        seconds = fields.get("seconds", "4")
        if not seconds.isdigit():
            return error(400, f"Invalid value for 'seconds': {seconds!r}.", param="seconds")
        size = fields.get("size", "720x1280")
        reference = files.get("input_reference")
        if reference is not None:
            try:
                with Image.open(io.BytesIO(reference.data)) as image:
                    got = f"{image.width}x{image.height}"
            except OSError:
                return error(400, "input_reference is not an image.", param="input_reference")
            if got != size:
                return error(
                    400,
                    f"Inpaint image must match the requested width and height ({got} != {size}).",
                    param="input_reference",
                )
        video_id = f"video_{next(self._ids):04d}"
        video = {
            "id": video_id,
            "object": "video",
            "model": model,
            "prompt": fields["prompt"],
            "seconds": seconds,
            "size": size,
            "created_at": int(time.time()),
            "completed_at": None,
            "expires_at": None,
            "remixed_from_video_id": None,
            "error": None,
            "status": "queued",
            "progress": 0,
        }
        with self._lock:
            self.videos[video_id] = video
            self._renders[video_id] = deque(dict(step) for step in self.steps)
        return Reply(body=video)

    def _default_retrieve(self, recorded: Recorded, video_id: str) -> Reply:
        with self._lock:
            video = self.videos.get(video_id)
            steps = self._renders.get(video_id)
            if video is not None and steps:
                step = steps.popleft() if len(steps) > 1 else steps[0]
                video.update(step)
                if video["status"] == "completed" and video["completed_at"] is None:
                    video["completed_at"] = int(time.time())
                    video["expires_at"] = video["completed_at"] + 3600
        if video is None:
            return error(404, f"Video with id '{video_id}' not found.", param="video_id")
        headers = {}
        if self.poll_after_ms is not None and video["status"] in ("queued", "in_progress"):
            headers["openai-poll-after-ms"] = str(self.poll_after_ms)
        return Reply(body=dict(video), headers=headers)

    def _default_content(self, recorded: Recorded, video_id: str) -> Reply:
        with self._lock:
            video = self.videos.get(video_id)
        if video is None:
            return error(404, f"Video with id '{video_id}' not found.", param="video_id")
        if video["status"] != "completed":
            return error(400, "Video is not ready yet, use GET /v1/videos/{id} to check status.")
        if recorded.query.get("variant", ["video"]) != ["video"]:
            return error(400, "This fake serves only the video variant.", param="variant")
        return Reply(body=self.content, content_type=self.content_type)

    def _default_model(self, recorded: Recorded, model: str) -> Reply:
        if model not in self.models:
            return error(
                404,
                f"The model '{model}' does not exist or you do not have access to it.",
                code="model_not_found",
                param="model",
            )
        return Reply(body=self.models[model])

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("POST", "create", re.compile(r"^/v1/videos$")),
    ("GET", "retrieve", re.compile(r"^/v1/videos/([^/]+)$")),
    ("GET", "content", re.compile(r"^/v1/videos/([^/]+)/content$")),
    ("GET", "model", re.compile(r"^/v1/models/(.+)$")),
)


def _route_of(method: str, path: str) -> tuple[str | None, tuple[str, ...]]:
    for route_method, route, pattern in _PATTERNS:
        match = pattern.match(path)
        if match and method == route_method:
            return route, match.groups()
    return None, ()


def _handler_for(fake: VideosFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep test output clean

        def do_GET(self) -> None:  # noqa: N802
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            recorded = Recorded(
                method=method,
                path=unquote(parts.path),
                query=parse_qs(parts.query),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self._read_body(),
            )
            content_type = recorded.headers.get("content-type", "")
            if content_type.startswith("multipart/form-data"):
                # Parsed here so that scripted answers record what was sent too.
                recorded.fields, recorded.files = parse_multipart(content_type, recorded.body)
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
