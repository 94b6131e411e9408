"""What every local fake of a remote service shares: a loopback HTTP server that answers from
scripted replies and records what it was sent.

A fake is a subclass of `LoopbackFake` that says how a request maps to a queue of replies and
what it answers when nothing is scripted; `RoutedFake` adds an API key, known models and named
routes, each declared by `@route` on the method that gives its default answer. Use a fake as a
context manager or call `start()` and `stop()`:

    with SomeFake() as fake:
        fake.reply("route", Reply(status=503), Reply(body={...}))
        ...  # point the client at fake.base_url
        [sent] = fake.requests_to("route")
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Self, TypedDict, TypeVar, Unpack, cast
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Reply:
    """One scripted answer: a status, a body, headers, and a delay before it is sent.

    A `bytes` or `str` body is sent as it is; anything else as JSON (`None` as `{}`). Without a
    `content_type` it is labelled for what it is: octet-stream, plain text or JSON. With `drop`
    the connection is closed after the delay without any answer, as a service or proxy does
    that fails after reading the request.
    """

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str | None = None
    drop: bool = False

    def payload(self) -> tuple[bytes, str]:
        """The bytes to send and their content type."""
        if isinstance(self.body, bytes | bytearray):
            return bytes(self.body), self.content_type or "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), self.content_type or "text/plain"
        body = {} if self.body is None else self.body
        return json.dumps(body).encode(), self.content_type or "application/json"


# Longer than any client timeout a test sets; a stalled reply is cut short when the fake stops.
STALL_SECONDS = 60.0


def accepted_then(fault: str | None, reply: Reply) -> Reply:
    """`reply` as a service delivers it after it has accepted the request (and billed it).

    `None` delivers it; "stall" holds it past the client's timeout; "drop" closes the
    connection without it. Either way the client cannot tell whether the request took effect.
    """
    if fault is None:
        return reply
    if fault == "stall":
        return dataclasses.replace(reply, delay=STALL_SECONDS)
    if fault == "drop":
        return dataclasses.replace(reply, drop=True)
    raise ValueError(f"unknown fault {fault!r}: None, 'stall' or 'drop'")


@dataclass
class Recorded:
    """A request as the fake received it; header names are lower-cased."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


R = TypeVar("R", bound=Recorded)
# A scripted answer, or a function that makes one from the request it answers.
Scripted = Reply | Callable[[R], Reply]


class LoopbackFake(Generic[R]):
    """A fake service on 127.0.0.1 and a free port, answering from queues of scripted replies."""

    recorded_type: type[Recorded] = Recorded  # a subclass may record more (a form's fields)
    url_prefix = ""  # what `base_url` adds to the origin, e.g. "/v1"

    def __init__(self) -> None:
        self.requests: list[R] = []
        self._script: dict[Hashable, deque[Scripted[R]]] = defaultdict(deque)
        self._lock = threading.Lock()
        # Delayed replies wait on this, so stopping the fake cuts a "hung" reply short.
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> Self:
        self._server = _Server(self)
        # A short poll interval: `shutdown()` waits up to one interval, at every test's end.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake is not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.url_prefix}"

    # ---------------------------------------------------------------- scripting
    def _enqueue(self, key: Hashable, replies: Iterable[Scripted[R]]) -> None:
        with self._lock:
            self._script[key].extend(replies)

    def _take(self, key: Hashable, recorded: R) -> Reply | None:
        """The next scripted answer for `key`, or None when nothing is left."""
        with self._lock:
            queued = self._script[key].popleft() if self._script[key] else None
        return queued(recorded) if callable(queued) else queued

    # ---------------------------------------------------------------- answering
    def _answer(self, recorded: R) -> Reply:
        raise NotImplementedError

    def _record(self, method: str, target: str, headers: dict[str, str], body: bytes) -> R:
        parts = urlsplit(target)
        recorded = self.recorded_type(
            method=method,
            path=unquote(parts.path),
            query=parse_qs(parts.query),
            headers={name.lower(): value for name, value in headers.items()},
            body=body,
        )
        return cast(R, recorded)

    def _serve(self, recorded: R) -> Reply | None:
        """Records a request and picks its answer; None when the fake stopped during its delay."""
        with self._lock:
            self.requests.append(recorded)
        reply = self._answer(recorded)
        if reply.delay and self._stopping.wait(reply.delay):
            return None
        return reply


# (method, route name, path pattern); the pattern's groups go to the route's default answer.
Route = tuple[str, str, re.Pattern[str]]
Answer = TypeVar("Answer", bound=Callable[..., Reply])
_ROUTE = "fake_route"  # where `@route` leaves the method and the pattern on an answer


def route(method: str, pattern: str) -> Callable[[Answer], Answer]:
    """Declares a route of a `RoutedFake` on `_default_{name}`, its default answer: `method`
    requests to a path that matches `pattern`, whose groups the answer takes after the request."""

    def declare(answer: Answer) -> Answer:
        setattr(answer, _ROUTE, (method, re.compile(pattern)))
        return answer

    return declare


class ServiceOptions(TypedDict, total=False):
    """What a test may say about a `RoutedFake` service when it makes one."""

    api_key: str  # the key the service accepts, when not its usual one
    known_models: tuple[str, ...] | None  # None: every model is known


class RoutedFake(LoopbackFake[R]):
    """A keyed service with named routes: scripted replies first, then the route's default.

    A request to no route gets `_unknown_route`; one the service turns away (a bad key) gets what
    `_refuse` says, before any scripted reply is used up.
    """

    routes: tuple[Route, ...] = ()  # from the `@route` answers, in the order they are written
    api_key = ""  # the key the service accepts unless a test names another

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = []
        for name, answer in vars(cls).items():
            if (found := getattr(answer, _ROUTE, None)) is not None:
                assert name.startswith("_default_"), f"@route on {name}, not _default_{{route}}"
                method, pattern = found
                declared.append((method, name.removeprefix("_default_"), pattern))
        cls.routes = cls.routes + tuple(declared)

    def __init__(self, **options: Unpack[ServiceOptions]) -> None:
        super().__init__()
        self.api_key = options.get("api_key", self.api_key)
        # The others answer 404, as a retired or unknown model does.
        self.known_models = options.get("known_models")

    def _known(self, model: str) -> bool:
        return self.known_models is None or model in self.known_models

    def reply(self, route: str, *replies: Scripted[R]) -> None:
        """Queues answers for a route, used in order before the default."""
        names = tuple(name for _, name, _ in self.routes)
        if route not in names:
            raise ValueError(f"unknown route {route!r}; one of {names}")
        self._enqueue(route, replies)

    def requests_to(self, route: str) -> list[R]:
        return [r for r in self.requests if self._route_of(r)[0] == route]

    def _route_of(self, recorded: R) -> tuple[str | None, tuple[str, ...]]:
        for method, route, pattern in self.routes:
            match = pattern.match(recorded.path)
            if match and recorded.method == method:
                return route, match.groups()
        return None, ()

    def _answer(self, recorded: R) -> Reply:
        route, groups = self._route_of(recorded)
        if route is None:
            return self._unknown_route(recorded)
        refused = self._refuse(recorded, route)
        if refused is not None:
            return refused
        scripted = self._take(route, recorded)
        if scripted is not None:
            return scripted
        answer: Callable[..., Reply] = getattr(self, f"_default_{route}")
        return answer(recorded, *groups)

    def _unknown_route(self, recorded: R) -> Reply:
        raise NotImplementedError

    def _refuse(self, recorded: R, route: str) -> Reply | None:
        return None


# ---------------------------------------------------------------- the HTTP side
class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping out a delay must not hold up the test run

    def __init__(self, fake: LoopbackFake[Any]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect

    def _handle(self) -> None:
        fake = cast(_Server, self.server).fake
        recorded = fake._record(self.command, self.path, dict(self.headers.items()), self._body())
        reply = fake._serve(recorded)
        if reply is None:
            return  # stopped during a delay: the test is over, nobody waits for an answer
        if reply.drop:
            self.close_connection = True  # closed unanswered once this handler returns
            return
        payload, content_type = reply.payload()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test): nothing to answer

    do_GET = do_POST = do_DELETE = _handle

    def _body(self) -> bytes:
        # Some clients stream an upload (a multipart file) chunked, without a length.
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep test output clean
