"""A local stand-in for an OpenAI-compatible video gateway, speaking the `/v1/videos` protocol.

It serves what the openai SDK's `client.videos` and `client.models` call, on 127.0.0.1 and a
free port:

- `POST /v1/videos`                          multipart: prompt, model, seconds, size, and the
                                             file part input_reference
- `GET  /v1/videos?limit=&order=&after=`     the renders, newest first: a cursor page
                                             `{"object": "list", "data", "first_id", "last_id",
                                             "has_more"}`
- `GET  /v1/videos/{id}`                     the video object, with `openai-poll-after-ms`
- `GET  /v1/videos/{id}/content?variant=video`  the MP4 bytes
- `GET  /v1/models/{id}`                     the lifecycle check (`serves_models = False`: a
                                             gateway without this route)

Every request is recorded (method, path, query, headers, body, and for multipart the fields
and files) for the test to assert on. A test scripts answers per route with
`fake.reply(route, Reply(...))`, used in order; a route with nothing scripted answers as the
service would. A render steps through `fake.steps` (one step per retrieve, staying on the last).
Errors use OpenAI's body, `{"error": {"message", "type", "param", "code"}}`.

`fake.submit_fault = "stall"` (or `"drop"`) makes the gateway accept each submit, so the render
exists and can be listed and polled, and then hold the answer past the client's timeout (or
close the connection without it); `fake.submits_received` counts the submits that arrived.
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Unpack

from PIL import Image

from tests.fakes import base
from tests.fakes.base import Reply, RoutedFake, ServiceOptions, accepted_then, route
from tests.fakes.openai_server import error_body

API_KEY = "gw-test"
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"fake-video-frames" * 64

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
class Upload:
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Recorded(base.Recorded):
    """A request, with the text fields and files of a multipart body."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Parsed on arrival, so that requests met by scripted answers show what was sent too.
        content_type = self.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            self.fields, self.files = parse_multipart(content_type, self.body)


def error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """OpenAI's error body for `status`."""
    kind = _ERROR_TYPES.get(status, "server_error")
    body = error_body(message, type=kind, code=code, param=param)
    return Reply(status=status, body=body, headers=headers or {})


def model_object(model: str, *, shutdown_date: str | int | None = None) -> dict[str, Any]:
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


class VideosFake(RoutedFake[Recorded]):
    """The gateway: each render steps through `steps`; `models` is what the lifecycle finds."""

    recorded_type = Recorded
    api_key = API_KEY
    url_prefix = "/v1"  # the SDK's `base_url`: it appends `/videos`, `/models/…`

    def __init__(self, **options: Unpack[ServiceOptions]) -> None:
        super().__init__(**options)
        self.steps: list[dict[str, Any]] = [dict(step) for step in DEFAULT_STEPS]
        self.poll_after_ms: int | None = None
        self.content = MP4_BYTES
        self.content_type = "video/mp4"
        # What `GET /v1/models/{id}` knows; the others answer 404. Some gateways lack the route.
        self.models: dict[str, dict[str, Any]] = {}
        self.serves_models = True
        # None, "stall" or "drop": what becomes of the answer to a submit it accepted.
        self.submit_fault: str | None = None
        self.videos: dict[str, dict[str, Any]] = {}
        self._renders: dict[str, deque[dict[str, Any]]] = {}
        self._ids = itertools.count(1)

    @property
    def submits_received(self) -> int:
        return len(self.requests_to("create"))

    # ---------------------------------------------------------------- answering
    def _unknown_route(self, recorded: Recorded) -> Reply:
        return error(404, f"Invalid URL ({recorded.method} {recorded.path})")

    def _refuse(self, recorded: Recorded, route: str) -> Reply | None:
        if recorded.headers.get("authorization") != f"Bearer {self.api_key}":
            return error(401, "Incorrect API key provided.", code="invalid_api_key")
        return None

    @route("POST", r"^/v1/videos$")
    def _default_create(self, recorded: Recorded) -> Reply:
        if not recorded.headers.get("content-type", "").startswith("multipart/form-data"):
            return error(400, "Expected a multipart/form-data body.")
        fields, files = recorded.fields, recorded.files
        model = fields.get("model", "sora-2")
        if not self._known(model):
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
        return accepted_then(self.submit_fault, Reply(body=dict(video)))

    @route("GET", r"^/v1/videos$")
    def _default_list(self, recorded: Recorded) -> Reply:
        query = {name: values[0] for name, values in recorded.query.items()}
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            return error(400, f"Invalid value for 'order': {order!r}.", param="order")
        limit = query.get("limit", "20")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            return error(400, f"Invalid value for 'limit': {limit!r}.", param="limit")
        with self._lock:
            # Ids count up, so they order renders made within the same second too.
            videos = sorted(self.videos.values(), key=lambda v: (v["created_at"], v["id"]))
            videos = [dict(video) for video in videos]
        if order == "desc":
            videos.reverse()
        after = query.get("after")
        if after is not None:
            ids = [video["id"] for video in videos]
            if after not in ids:
                return error(400, f"No video found with id '{after}'.", param="after")
            videos = videos[ids.index(after) + 1 :]
        page = videos[: int(limit)]
        return Reply(
            body={
                "object": "list",
                "data": page,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
                "has_more": len(videos) > len(page),
            }
        )

    @route("GET", r"^/v1/videos/([^/]+)$")
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

    @route("GET", r"^/v1/videos/([^/]+)/content$")
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

    @route("GET", r"^/v1/models/(.+)$")
    def _default_model(self, recorded: Recorded, model: str) -> Reply:
        if not self.serves_models:
            return self._unknown_route(recorded)
        if model not in self.models:
            return error(
                404,
                f"The model '{model}' does not exist or you do not have access to it.",
                code="model_not_found",
                param="model",
            )
        return Reply(body=self.models[model])
