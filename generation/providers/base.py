"""The one interface per kind of provider, the one error type they raise, and what a call costs.

A script is a plain dictionary (the drama API's script input; `script_checks` holds its
limits): title, premise, logline, genre, tone, characters[], episodes[] with scenes[] with
dialogue[].

Every provider instance keeps `calls`, the record of each remote call it made (provider, model,
latency, attempts, usage, estimated cost), which the job that used it stores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol


class ProviderError(Exception):
    """A provider failed. `retryable` says whether trying again may succeed.

    `reason` is a short machine-readable cause (`rate_limited`, `safety`, `timeout`,
    `invalid_request`, `model_unavailable`, `malformed_answer`, …); `retry_after` is the
    service's own advice in seconds, when it gave any.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        reason: str = "",
        usage: Usage | None = None,
        outcome_unknown: bool = False,
    ):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.reason = reason or ("transient" if retryable else "refused")
        # What a failed try still cost (a malformed answer is billed like a good one).
        self.usage = usage
        # Set by the retry loop when it stopped only because the service asked for a longer
        # wait than it sleeps through: the job may try again after that many seconds.
        self.defer_seconds: float | None = None
        # A submit that may have reached the service (a timeout or a dropped connection
        # after the request was sent): sending it again could bill twice.
        self.outcome_unknown = outcome_unknown
        # How many tries the retry loop spent before giving up (0: raised outside it).
        self.tries = 0


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    images: int = 0
    video_seconds: float = 0.0
    # Speech: the characters sent (priced per character by some services) and the seconds
    # of audio returned.
    characters: int = 0
    audio_seconds: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            images=self.images + other.images,
            video_seconds=self.video_seconds + other.video_seconds,
            characters=self.characters + other.characters,
            audio_seconds=self.audio_seconds + other.audio_seconds,
        )


@dataclass
class CallRecord:
    provider: str
    model: str
    operation: str
    latency_ms: int
    attempts: int
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None
    error: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- scripts
@dataclass(frozen=True)
class ScriptOptions:
    premise: str
    genre: str = ""
    tone: str = ""
    episode_count: int = 3
    character_count: int = 4
    scenes_per_episode: int = 3
    extra: dict[str, Any] = field(default_factory=dict)


class ScriptProvider(Protocol):
    name: str
    model: str
    calls: list[CallRecord]

    def write(self, options: ScriptOptions) -> dict:
        """Returns a whole script for the premise, of the requested size."""

    def improve(self, script: dict, feedback: str) -> dict:
        """Returns the script rewritten to answer the feedback (same ids where kept)."""

    def critique(self, script: dict) -> dict:
        """Returns `{score, summary, issues: [{code, severity, message, refs}], provider}`."""


# ---------------------------------------------------------------- images
@dataclass(frozen=True)
class ReferenceImage:
    data: bytes
    mime_type: str = "image/png"


@dataclass(frozen=True)
class ImageRequest:
    prompt: str
    kind: str = "storyboard"  # portrait or storyboard
    references: tuple[ReferenceImage, ...] = ()
    aspect_ratio: str = "9:16"
    # What the scene or character is, for providers that draw it themselves (local).
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImageResult:
    data: bytes
    content_type: str
    model: str
    metadata: dict[str, Any] = field(default_factory=dict)


class ImageProvider(Protocol):
    name: str
    model: str
    calls: list[CallRecord]

    def generate(self, request: ImageRequest) -> ImageResult:
        """Returns the image; raises ProviderError (a blocked prompt is not retryable)."""


# ---------------------------------------------------------------- video
@dataclass(frozen=True)
class VideoRequest:
    prompt: str
    duration_seconds: int = 10
    aspect_ratio: str = "9:16"
    resolution: str = "720p"
    reference: ReferenceImage | None = None
    # Dialogue lines and the like, for providers that render subtitles themselves (local).
    context: dict[str, Any] = field(default_factory=dict)


VideoState = Literal["queued", "running", "completed", "failed"]


@dataclass
class VideoStatus:
    state: VideoState
    progress: float | None = None  # a fraction, 0 to 1
    error: str = ""
    retryable: bool = False
    # The service's advice on when to ask again, in seconds.
    poll_after: float | None = None


@dataclass
class VideoResult:
    data: bytes
    content_type: str
    model: str
    duration_seconds: float
    metadata: dict[str, Any] = field(default_factory=dict)


class VideoProvider(Protocol):
    """Long renders are submitted, then polled from any worker process, then downloaded.

    The handle is a JSON-serialisable dictionary, stored on the job between polls.
    """

    name: str
    model: str
    calls: list[CallRecord]
    # True when `find` sees every render there is, so a render it does not find was never
    # made and submitting again cannot bill twice (the offline renderer: its renders are files
    # here). Remote services say False: a render missing from a listing may still exist.
    find_is_complete: bool

    def submit(self, request: VideoRequest) -> dict:
        """Starts the render; returns its handle. Never submits twice for one call.

        When the request may have reached the service but no answer came back (a read timeout,
        a connection dropped after sending), raises ProviderError with `outcome_unknown=True`
        and reason `submit_unknown`: look with `find` before submitting again.
        """

    def poll(self, handle: dict) -> VideoStatus:
        """Where the render stands."""

    def download(self, handle: dict) -> VideoResult:
        """The finished video."""

    def cancel(self, handle: dict) -> bool:
        """Stops a render in flight where the service can: True when it is cancelled, False
        when the service has no way to cancel; raises ProviderError when cancelling failed."""

    def find(self, request: VideoRequest, *, since: float) -> dict | None:
        """After an outcome-unknown submit: the handle `submit` would have returned for a render
        of `request` submitted at or after `since` (Unix seconds), found among the service's
        recent renders; None when there is none, or when the service cannot list them."""


# ---------------------------------------------------------------- speech
@dataclass(frozen=True)
class Voice:
    """A character's voice as plain data. `name` is the voice's name in the cast's catalogue,
    which is a Gemini prebuilt voice name ("Kore"); other services map it to one of theirs
    from `gender`, `age` and `number` (its place in the catalogue, 0-based), so that distinct
    catalogue voices stay distinct wherever the service has enough of its own."""

    name: str
    gender: Literal["female", "male"] = "female"
    age: Literal["young", "adult", "older"] = "adult"
    number: int = 0


@dataclass(frozen=True)
class SpeechRequest:
    text: str
    voice: Voice
    # How the line is delivered ("tense, under her breath"), for services that take it.
    instructions: str = ""
    language: str = "en-US"


@dataclass
class SpeechResult:
    data: bytes  # a whole audio file: WAV (audio/wav) or MP3 (audio/mpeg)
    content_type: str
    model: str
    duration_seconds: float
    # The service's own name for the voice it spoke with ("Kore", "coral", "en-us+f3 -p 60").
    voice: str
    metadata: dict[str, Any] = field(default_factory=dict)


class SpeechProvider(Protocol):
    name: str
    model: str
    calls: list[CallRecord]

    def synthesize(self, request: SpeechRequest) -> SpeechResult:
        """Returns the line spoken in the voice; raises ProviderError (a refused text is not
        retryable)."""


# ---------------------------------------------------------------- model lifecycle
@dataclass
class ModelLifecycle:
    """What a service says about a configured model, for `manage.py check_models`."""

    provider: str
    model: str
    state: Literal["available", "retiring", "retired", "unknown", "unchecked"]
    shutdown_date: str | None = None  # YYYY-MM-DD
    detail: str = ""


def lifecycle_from_shutdown_date(
    provider: str, model: str, shutdown_date: object
) -> ModelLifecycle:
    """What a service's `shutdown_date` for a model it knows means.

    None or empty: available. A date, as ISO text (OpenAI) or Unix seconds (some gateways):
    retired on or after that day in UTC (the model may go at any hour of it), else retiring.
    Anything else is reported as unchecked, never raised.
    """
    if shutdown_date is None or shutdown_date == "":
        return ModelLifecycle(provider, model, "available")
    try:
        if isinstance(shutdown_date, int | float) and not isinstance(shutdown_date, bool):
            day = datetime.fromtimestamp(shutdown_date, tz=UTC).date()
        elif isinstance(shutdown_date, str) and shutdown_date.strip().isdigit():
            day = datetime.fromtimestamp(int(shutdown_date), tz=UTC).date()
        elif isinstance(shutdown_date, str):
            day = date.fromisoformat(shutdown_date.strip()[:10])
        else:
            raise TypeError(type(shutdown_date).__name__)
    except (ValueError, TypeError, OverflowError, OSError):
        return ModelLifecycle(
            provider, model, "unchecked",
            detail=f"the service gave an unreadable shutdown_date {shutdown_date!r}",
        )  # fmt: skip
    state = "retired" if day <= datetime.now(tz=UTC).date() else "retiring"
    return ModelLifecycle(provider, model, state, shutdown_date=day.isoformat())
