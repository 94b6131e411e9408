"""Scripts through the OpenAI API, or any server that speaks it, with structured output; and
speech through `/v1/audio/speech` (OpenAI or a self-hosted speech server; see the end).

`OPENAI_API_MODE=responses` (the default) uses the Responses API; `chat` uses Chat Completions,
for compatible servers that lack the Responses API (most local ones). Either way the model is
given a strict JSON schema (written as the Pydantic models below), and its answer is checked
against that same schema, then against the limits of the drama API's script input and for
references to characters that do not exist (`script_checks`), and against the requested size.
A refusal, a truncated or schema-invalid answer, or a retired model is a ProviderError that says
whether trying again may help: never a half drama.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal
from urllib.parse import urlsplit

import openai
from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field

from generation.providers.audio import read_wav
from generation.providers.base import (
    CallRecord,
    ModelLifecycle,
    ProviderError,
    ScriptOptions,
    SpeechRequest,
    SpeechResult,
    Usage,
    Voice,
    lifecycle_from_shutdown_date,
)
from generation.providers.openai_errors import common_error, service_message
from generation.providers.retry import call_with_retries
from generation.providers.script_checks import (
    MAX_PROBLEMS,
    numbered,
    schema_problems,
    script_problems,
    stripped,
)
from generation.providers.transport import TIMEOUTS, TRANSPORT

# Error codes OpenAI (and compatible servers) give for a model that is gone or never existed.
MODEL_GONE_CODES = {"model_not_found", "model_not_available", "model_deprecated"}


# ---------------------------------------------------------------- the schema the model fills
# Every field is required and nothing else is allowed (strict structured output), so the
# answer carries the whole script; limits and references are checked after it arrives.
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScriptLine(_Strict):
    character: str = Field(description="The id of the character who speaks, e.g. char_001.")
    line: str


class ScriptScene(_Strict):
    id: str = Field(description="sc_EE_SS: episode and scene numbers, two digits each.")
    title: str
    location: str
    time_of_day: str = Field(description="dawn, morning, afternoon, dusk, night, ...")
    description: str = Field(description="What happens in the scene.")
    visual_prompt: str = Field(description="One vertical 9:16 frame of the scene, for an image.")
    characters: list[str] = Field(description="Ids of the characters in the scene.")
    dialogue: list[ScriptLine]
    target_duration: int = Field(description="Seconds of video for the scene, 1 to 60.")


class ScriptEpisode(_Strict):
    id: str = Field(description="ep_EE, e.g. ep_01.")
    title: str
    synopsis: str
    scenes: list[ScriptScene]


class ScriptCharacter(_Strict):
    id: str = Field(description="char_NNN, e.g. char_001.")
    name: str
    role: str
    description: str
    appearance: str = Field(
        description="Age, face, hair, build and clothes, so every portrait looks the same."
    )


class DramaScript(_Strict):
    title: str
    premise: str
    logline: str
    genre: str
    tone: str
    characters: list[ScriptCharacter]
    episodes: list[ScriptEpisode]


class CritiqueIssue(_Strict):
    code: str = Field(description="snake_case, e.g. character_never_speaks.")
    severity: Literal["major", "minor"]
    message: str
    refs: list[str] = Field(description="Ids of the characters, episodes or scenes concerned.")


class ScriptCritique(_Strict):
    score: int = Field(ge=0, le=100, description="0 (unusable) to 100 (ready to shoot).")
    summary: str
    issues: list[CritiqueIssue]


@dataclass(frozen=True)
class AnswerFormat:
    """A strict JSON schema the model's answer must fill, under the name it is sent with."""

    name: str
    schema: dict[str, Any]

    @classmethod
    def of(cls, model: type[BaseModel]) -> AnswerFormat:
        return cls(model.__name__, model.model_json_schema())


DRAMA_FORMAT = AnswerFormat.of(DramaScript)
CRITIQUE_FORMAT = AnswerFormat.of(ScriptCritique)


# ---------------------------------------------------------------- prompts
WRITER_INSTRUCTIONS = """\
You write short vertical dramas: every scene becomes one 9:16 video clip of a few seconds.
Answer with the JSON the schema describes, and nothing else.
- Character ids are char_001, char_002, ...; episode ids ep_01, ep_02, ...; scene ids
  sc_EE_SS (sc_01_01 is the first scene of the first episode).
- A scene's `characters` and every dialogue line's `character` are ids from `characters`;
  whoever speaks in a scene is in it. Every character appears and speaks at least once.
- `appearance` fixes how a character looks (age, face, hair, build, clothes) so that all
  their portraits match; `visual_prompt` describes one vertical frame of the scene.
- `target_duration` is the scene's length in seconds, from 1 to 60; {duration} unless the
  scene needs otherwise.
- Dialogue is short and spoken; scenes turn on conflict and end on a hook."""

CRITIC_INSTRUCTIONS = """\
You are a script editor for short vertical dramas. Judge the script you are given: structure
(does every character appear and speak, does every scene have a cast and dialogue, are the
episodes balanced), consistency (do speakers belong to their scenes, do appearances allow
consistent portraits) and drama (conflict, hooks, pace). Answer with the JSON the schema
describes: a score from 0 to 100, a short summary, and the issues, each with a snake_case
code, severity `major` (the script should not be produced as it is) or `minor`, a message,
and `refs`, the ids in the script that the issue is about."""


def _write_request(options: ScriptOptions) -> str:
    lines = [
        f"Premise: {options.premise}",
        f"Genre: {options.genre or 'your choice'}",
        f"Tone: {options.tone or 'your choice'}",
        f"Write exactly {options.character_count} characters and exactly "
        f"{options.episode_count} episodes of exactly {options.scenes_per_episode} scenes each.",
    ]
    if options.extra:
        lines.append(f"Further wishes: {json.dumps(options.extra, ensure_ascii=False)}")
    return "\n".join(lines)


def _improve_request(script: dict, feedback: str) -> str:
    return (
        "Rewrite this drama to answer the feedback. Return the whole script. Keep the ids of "
        "the characters, episodes and scenes you keep (their media survive); new ones follow "
        "the same id pattern.\n"
        f"Feedback: {feedback}\n"
        f"Script: {json.dumps(script, ensure_ascii=False)}"
    )


def _critique_request(script: dict) -> str:
    return f"Script: {json.dumps(script, ensure_ascii=False)}"


# ---------------------------------------------------------------- the adapter
@dataclass
class _Answer:
    value: dict
    usage: Usage


class OpenAIScriptWriter:
    name = "openai"

    def __init__(self) -> None:
        self.model: str = settings.GPT_MODEL
        self.calls: list[CallRecord] = []

    @cached_property
    def client(self) -> openai.OpenAI:
        if not settings.OPENAI_API_KEY:
            raise ProviderError("OPENAI_API_KEY is not set.", retryable=False, reason="auth")
        # max_retries=0: call_with_retries owns retries, so one try is one request.
        return openai.OpenAI(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL or None,
            max_retries=0,
            timeout=settings.PROVIDER_TIMEOUT,
        )

    # ------------------------------------------------------------ the interface
    def write(self, options: ScriptOptions) -> dict:
        def check(answer: dict) -> dict:
            answer["premise"] = options.premise  # the user's words, not a paraphrase
            script = _valid_script(answer)
            problems = _size_problems(script, options)
            if problems:
                raise ProviderError(
                    f"{self.model} wrote a drama of the wrong size: {'; '.join(problems)}.",
                    retryable=True,
                    reason="malformed_answer",
                )
            return script

        instructions = WRITER_INSTRUCTIONS.format(duration=settings.DEFAULT_VIDEO_DURATION)
        return self._ask("write", DRAMA_FORMAT, instructions, _write_request(options), check)

    def improve(self, script: dict, feedback: str) -> dict:
        instructions = WRITER_INSTRUCTIONS.format(duration=settings.DEFAULT_VIDEO_DURATION)
        request = _improve_request(script, feedback)
        return self._ask("improve", DRAMA_FORMAT, instructions, request, _valid_script)

    def critique(self, script: dict) -> dict:
        known = _ids_of(script)

        def check(critique: dict) -> dict:
            # A ref to an id the script lacks would point nowhere in the viewer.
            for issue in critique["issues"]:
                issue["refs"] = [ref for ref in issue["refs"] if ref in known]
            return {**critique, "provider": self.name}

        return self._ask(
            "critique", CRITIQUE_FORMAT, CRITIC_INSTRUCTIONS, _critique_request(script), check
        )

    def lifecycle(self) -> ModelLifecycle:
        """What the service says about the configured model (GET /models/{id}).

        `unknown` when the service says the model is gone or was never there; a compatible
        server without the route (404 without a model error code, or 405) leaves it unchecked.
        """
        info, failed = _look_up_model(self)
        if failed is not None:
            return failed
        return lifecycle_from_shutdown_date(self.name, self.model, info.shutdown_date)

    # ------------------------------------------------------------ one structured call
    def _ask(
        self,
        operation: str,
        answer_format: AnswerFormat,
        instructions: str,
        request: str,
        check: Callable[[dict], dict],
    ) -> dict:
        """Asks for an answer that fills `answer_format`; returns `check(answer)`, retrying as
        the errors allow.

        The answer is checked against the schema it was asked for, then by `check`, inside the
        retried call, so an answer that is not a valid script is asked for again like any
        other malformed answer.
        """

        def attempt() -> _Answer:
            if settings.OPENAI_API_MODE == "chat":
                text, usage = self._via_chat(answer_format, instructions, request)
            else:
                text, usage = self._via_responses(answer_format, instructions, request)
            try:
                return _Answer(check(self._parsed(text, answer_format)), usage)
            except ProviderError as exc:
                exc.usage = usage  # an answer that fails the check was still billed
                raise

        answer = call_with_retries(
            attempt,
            provider=self.name,
            model=self.model,
            operation=operation,
            calls=self.calls,
            classify=self._classify,
            usage_of=lambda a: a.usage,
            # Looked up now, not bound at import like call_with_retries' default, so a test
            # that patches time.sleep records the waits instead of waiting.
            sleep=time.sleep,
        )
        return answer.value

    def _parsed(self, text: str, answer_format: AnswerFormat) -> dict:
        """The answer's JSON, once it fills the schema it was asked for."""
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ProviderError(
                f"{self.model}'s answer is not valid JSON: {_short(exc)}",
                retryable=True,
                reason="malformed_answer",
            ) from None
        problems = schema_problems(answer_format.schema, value)
        if problems:
            raise ProviderError(
                f"{self.model}'s answer does not fit the {answer_format.name} schema: "
                + "; ".join(problems[:MAX_PROBLEMS]),
                retryable=True,
                reason="malformed_answer",
            )
        return value

    def _via_responses(
        self, answer_format: AnswerFormat, instructions: str, request: str
    ) -> tuple[str, Usage]:
        """The answer's text and what it cost; raises for an answer without the JSON."""
        response = self.client.responses.create(
            model=self.model,
            input=[
                {"role": "developer", "content": instructions},
                {"role": "user", "content": request},
            ],
            text={"format": _json_schema_format(answer_format)},
        )
        usage = (
            Usage(input_tokens=response.usage.input_tokens,
                  output_tokens=response.usage.output_tokens)
            if response.usage else Usage()
        )  # fmt: skip
        try:
            self._raise_if_unfinished(
                response.status,
                response.incomplete_details.reason if response.incomplete_details else None,
                response.error.message if response.error else None,
            )
        except ProviderError as exc:
            exc.usage = usage  # a cut-off answer was billed as far as it went
            raise
        refusals = [
            part.refusal
            for item in response.output
            if item.type == "message"
            for part in item.content
            if part.type == "refusal"
        ]
        if refusals:
            raise self._refused(" ".join(refusals), usage)
        if not response.output_text:
            raise self._without_output(usage)
        return response.output_text, usage

    def _via_chat(
        self, answer_format: AnswerFormat, instructions: str, request: str
    ) -> tuple[str, Usage]:
        """The answer's text and what it cost; raises for an answer without the JSON."""
        completion = self.client.chat.completions.create(
            model=self.model,
            messages=[
                {"role": "system", "content": instructions},
                {"role": "user", "content": request},
            ],
            response_format={
                "type": "json_schema",
                "json_schema": _json_schema_format(answer_format, typed=False),
            },
        )
        usage = (
            Usage(input_tokens=completion.usage.prompt_tokens,
                  output_tokens=completion.usage.completion_tokens)
            if completion.usage else Usage()
        )  # fmt: skip
        choice = completion.choices[0] if completion.choices else None
        if choice is not None and choice.finish_reason == "length":
            raise self._truncated("finish_reason: length", usage)
        if choice is not None and choice.finish_reason == "content_filter":
            raise self._filtered(usage)
        message = choice.message if choice is not None else None
        if message is not None and message.refusal:
            raise self._refused(message.refusal, usage)
        if message is None or not message.content:
            raise self._without_output(usage)
        return message.content, usage

    # ------------------------------------------------------------ errors
    def _without_output(self, usage: Usage) -> ProviderError:
        # Billed all the same, so the usage goes with the error.
        return ProviderError(
            f"{self.model} answered without the structured output asked for.",
            retryable=True,
            reason="malformed_answer",
            usage=usage,
        )

    def _refused(self, text: str, usage: Usage) -> ProviderError:
        return ProviderError(
            f"{self.model} refused to write this: {text}",
            retryable=False,
            reason="refused",
            usage=usage,
        )

    def _truncated(self, why: str, usage: Usage | None = None) -> ProviderError:
        return ProviderError(
            f"{self.model}'s answer was cut off before the script was complete ({why}).",
            retryable=False,
            reason="truncated",
            usage=usage,
        )

    def _filtered(self, usage: Usage | None = None) -> ProviderError:
        return ProviderError(
            f"{self.model} stopped: its content filter blocked the answer.",
            retryable=False,
            reason="safety",
            usage=usage,
        )

    def _raise_if_unfinished(
        self, status: str | None, reason: str | None, error: str | None
    ) -> None:
        """Raises for a Responses answer that did not complete."""
        if status == "incomplete":
            if reason == "content_filter":
                raise self._filtered()
            raise self._truncated(f"incomplete: {reason or 'no reason given'}")
        if status == "failed":
            raise ProviderError(
                f"{self.model} failed to answer: {error or 'no detail given'}",
                retryable=True,
                reason="server_error",
            )

    def _classify(self, exc: Exception) -> ProviderError:
        """Turns what the SDK raised into a ProviderError that says whether to try again."""
        common = common_error(exc, service="OpenAI")
        if common is not None:
            return common
        if isinstance(exc, openai.APIStatusError):
            return self._classify_status(exc)
        if isinstance(exc, ValueError | openai.APIResponseValidationError):
            # A body the SDK could not read as a response at all.
            return ProviderError(
                f"{self.model}'s answer could not be read: {_short(exc)}",
                retryable=True,
                reason="malformed_answer",
            )
        return ProviderError(
            f"OpenAI call failed: {type(exc).__name__}: {exc}", retryable=False, reason="unexpected"
        )

    def _classify_status(self, exc: openai.APIStatusError) -> ProviderError:
        """The 4xx answers only a script writer can judge (the others are common_error's)."""
        status = exc.status_code
        detail = service_message(exc)
        if exc.code in MODEL_GONE_CODES:
            return ProviderError(
                f"The model {self.model} is retired or unknown ({status}: {detail}): "
                "set GPT_MODEL to a live model.",
                retryable=False,
                reason="model_unavailable",
            )
        if status == 404:
            # Without a model error code it may also be a server that lacks the endpoint.
            return ProviderError(
                f"The model {self.model} is not available ({status} at {exc.request.url.path}: "
                f"{detail}): it may be retired or unknown, or the server lacks this endpoint "
                "(for servers without the Responses API, set OPENAI_API_MODE=chat).",
                retryable=False,
                reason="model_unavailable",
            )
        return ProviderError(
            f"OpenAI refused the request ({status}): {detail}",
            retryable=False,
            reason="invalid_request",
        )


# ---------------------------------------------------------------- checks of an answer
def _json_schema_format(answer_format: AnswerFormat, *, typed: bool = True) -> dict[str, Any]:
    """The strict `json_schema` format: with its `type` for Responses' `text.format`, without
    it inside Chat Completions' `response_format`."""
    fmt: dict[str, Any] = {
        "name": answer_format.name,
        "schema": answer_format.schema,
        "strict": True,
    }
    return {"type": "json_schema", **fmt} if typed else fmt


def _valid_script(answer: dict) -> dict:
    """The script as the drama API would accept it (ids, lengths, references), numbered;
    else raises."""
    script = stripped(answer)
    problems = script_problems(script, schema=DRAMA_FORMAT.schema)
    if problems:
        raise ProviderError(
            f"The answer is not a valid script: {'; '.join(problems[:MAX_PROBLEMS])}",
            retryable=True,
            reason="malformed_answer",
        )
    return numbered(script)


def _size_problems(script: dict, options: ScriptOptions) -> list[str]:
    problems = []
    if len(script["characters"]) != options.character_count:
        problems.append(f"{len(script['characters'])} characters, not {options.character_count}")
    if len(script["episodes"]) != options.episode_count:
        problems.append(f"{len(script['episodes'])} episodes, not {options.episode_count}")
    for episode in script["episodes"]:
        if len(episode["scenes"]) != options.scenes_per_episode:
            problems.append(
                f"episode {episode['id']} has {len(episode['scenes'])} scenes, "
                f"not {options.scenes_per_episode}"
            )
    return problems


def _ids_of(script: dict) -> set[str]:
    ids = {c.get("id") for c in script.get("characters", [])}
    for episode in script.get("episodes", []):
        ids.add(episode.get("id"))
        ids.update(s.get("id") for s in episode.get("scenes", []))
    ids.discard(None)
    return ids


def _look_up_model(provider: Any) -> tuple[Any, ModelLifecycle | None]:
    """`GET /models/{id}` for the provider's model: the model object, or what the failure says
    of the model (`unknown` when the service says it is gone or was never there; a compatible
    server without the route, 404 without a model error code or 405, leaves it unchecked)."""

    def lifecycle(state: str, detail: str) -> ModelLifecycle:
        return ModelLifecycle(provider.name, provider.model, state, detail=detail)  # type: ignore

    try:
        info = call_with_retries(
            lambda: provider.client.models.retrieve(provider.model),
            provider=provider.name,
            model=provider.model,
            operation="lifecycle",
            calls=provider.calls,
            classify=provider._classify,
            sleep=time.sleep,
        )
    except ProviderError as exc:
        cause = exc.__cause__
        if isinstance(cause, openai.APIStatusError) and _route_missing(cause):
            detail = (
                f"the server does not answer GET /models/{{id}} "
                f"(HTTP {cause.status_code}: {service_message(cause)})"
            )
            return None, lifecycle("unchecked", detail)
        state = "unknown" if exc.reason == "model_unavailable" else "unchecked"
        return None, lifecycle(state, str(exc))
    return info, None


def _route_missing(exc: openai.APIStatusError) -> bool:
    """A server without `GET /models/{id}`, rather than one that says the model is gone."""
    return exc.status_code == 405 or (exc.status_code == 404 and exc.code not in MODEL_GONE_CODES)


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


# ---------------------------------------------------------------- speech
# OpenAI's voices by how they sound. alloy is neutral, so it closes both lists; tts-1 and
# tts-1-hd lack ballad and verse. Odd-sized lists keep a catalogue that alternates women and
# men from landing on only half of a list.
FEMALE_VOICES = ("coral", "nova", "shimmer", "sage", "alloy")
MALE_VOICES = ("ash", "echo", "onyx", "ballad", "verse", "fable", "alloy")
MALE_VOICES_TTS1 = ("ash", "echo", "onyx", "fable", "alloy")
# Models that read no `instructions`.
PLAIN_SPEECH_MODELS = ("tts-1", "tts-1-hd")
# OpenAI's speech models are shut down on this day, whatever a model object says; their
# successor (gpt-realtime-2.1-mini) is on the Realtime API, not /v1/audio/speech.
SPEECH_SHUTDOWNS = {
    "tts-1": "2027-01-06",
    "tts-1-hd": "2027-01-06",
    "gpt-4o-mini-tts": "2027-01-06",
    "gpt-4o-mini-tts-2025-03-20": "2027-01-06",
    "gpt-4o-mini-tts-2025-12-15": "2027-01-06",
}
# Who OpenAI's model objects say owns its own models.
OPENAI_OWNERS = {"openai", "openai-internal", "system"}


# A WAV streamed before its length is known says so with the largest size there is.
def openai_voice(voice: Voice, model: str) -> str:
    """The OpenAI voice for a catalogue voice: by gender, then by number, so distinct numbers
    get distinct voices until the gender's list runs out."""
    if voice.gender == "male":
        names = MALE_VOICES_TTS1 if model in PLAIN_SPEECH_MODELS else MALE_VOICES
    else:
        names = FEMALE_VOICES
    return names[max(0, voice.number) % len(names)]


@dataclass
class _Spoken:
    data: bytes
    content_type: str


class OpenAISpeechProvider:
    """Speech through an OpenAI-compatible `/v1/audio/speech` (TTS_MODEL at TTS_BASE_URL, or
    OpenAI), as WAV. The endpoint reports no usage: a line is priced by its characters
    (tts-1) or by its seconds of audio (gpt-4o-mini-tts)."""

    name = "openai"

    def __init__(self) -> None:
        self.model: str = settings.TTS_MODEL
        self.calls: list[CallRecord] = []

    @cached_property
    def service(self) -> str:
        host = urlsplit(settings.TTS_BASE_URL or "").hostname
        return f"the speech server at {host}" if host else "OpenAI"

    @cached_property
    def client(self) -> openai.OpenAI:
        if not settings.TTS_API_KEY and not settings.TTS_BASE_URL:
            raise ProviderError("TTS_API_KEY is not set.", retryable=False, reason="auth")
        # max_retries=0: call_with_retries owns retries. A self-hosted server may take no key,
        # but the SDK insists on one.
        return openai.OpenAI(
            api_key=settings.TTS_API_KEY or "no-key",
            base_url=settings.TTS_BASE_URL or None,
            max_retries=0,
            timeout=settings.PROVIDER_TIMEOUT,
        )

    def synthesize(self, request: SpeechRequest) -> SpeechResult:
        voice = openai_voice(request.voice, self.model)
        options: dict[str, Any] = {}
        if request.instructions.strip() and self.model not in PLAIN_SPEECH_MODELS:
            options["instructions"] = request.instructions.strip()

        def call() -> _Spoken:
            with self.client.audio.speech.with_streaming_response.create(
                model=self.model,
                voice=voice,
                input=request.text,
                response_format="wav",
                **options,
            ) as response:
                return _Spoken(response.read(), response.headers.get("content-type", ""))

        def spoken() -> SpeechResult:
            answer = call()
            try:
                data, duration = read_wav(answer.data)
            except ValueError as exc:
                # A server that sends another format, or an error page, will do so again.
                raise ProviderError(
                    f"{self.service} did not answer with a WAV ({exc}; "
                    f"{answer.content_type or 'no content type'}, {len(answer.data)} bytes)",
                    retryable=False,
                    reason="malformed_answer",
                ) from None
            return SpeechResult(
                data=data,
                content_type="audio/wav",
                model=self.model,
                duration_seconds=duration,
                voice=voice,
                metadata={"provider": self.name, "instructions_sent": bool(options)},
            )

        return call_with_retries(
            spoken,
            provider=self.name,
            model=self.model,
            operation="speech",
            calls=self.calls,
            classify=self._classify,
            usage_of=lambda result: Usage(
                characters=len(request.text), audio_seconds=result.duration_seconds
            ),
        )

    def lifecycle(self) -> ModelLifecycle:
        """What the server says of TTS_MODEL, and OpenAI's announced shutdown of its own speech
        models when the server gives no date: on OpenAI, or where the server says OpenAI owns
        the model (a gateway in front of it). A self-hosted model of the same name is left as
        its server reports it."""
        info, failed = _look_up_model(self)
        if failed is not None:
            return failed
        state = lifecycle_from_shutdown_date(self.name, self.model, info.shutdown_date)
        shutdown = SPEECH_SHUTDOWNS.get(self.model)
        if shutdown is None or not self._openais_own(info):
            return state
        if state.state == "available":
            state = lifecycle_from_shutdown_date(self.name, self.model, shutdown)
        state.detail = (
            f"OpenAI shuts {self.model} down on {shutdown}; its successor "
            "(gpt-realtime-2.1-mini) is on the Realtime API, not /v1/audio/speech"
        )
        return state

    def _openais_own(self, info: Any) -> bool:
        host = urlsplit(settings.TTS_BASE_URL or "").hostname or ""
        on_openai = not host or host == "openai.com" or host.endswith(".openai.com")
        return on_openai or str(getattr(info, "owned_by", "") or "").lower() in OPENAI_OWNERS

    def _classify(self, exc: Exception) -> ProviderError:
        """Turns what the SDK raised into a ProviderError that says whether to try again."""
        common = common_error(exc, service=self.service)
        if common is not None:
            return common
        # The audio is read after the SDK hands the response over: a connection that breaks
        # mid-stream surfaces as the transport's own error.
        if isinstance(exc, TIMEOUTS):
            return ProviderError(
                f"{self.service} stopped sending the audio for {settings.PROVIDER_TIMEOUT} s",
                retryable=True,
                reason="timeout",
            )
        if isinstance(exc, TRANSPORT):
            return ProviderError(
                f"the connection to {self.service} broke while the audio came: {exc}",
                retryable=True,
                reason="connection",
            )
        if isinstance(exc, openai.APIStatusError):
            detail = f"{exc.status_code}: {service_message(exc)}"
            if exc.code in MODEL_GONE_CODES or exc.status_code == 404:
                return ProviderError(
                    f"The speech model {self.model} is not available at {self.service} "
                    f"({detail}): set TTS_MODEL to a live model.",
                    retryable=False,
                    reason="model_unavailable",
                )
            lowered = detail.lower()
            unsafe = any(word in lowered for word in ("safety", "moderation", "policy", "flagged"))
            return ProviderError(
                f"{self.service} refused to speak the line ({detail})",
                retryable=False,
                reason="safety" if unsafe else "invalid_request",
            )
        return ProviderError(
            f"{self.service} speech call failed: {type(exc).__name__}: {exc}",
            retryable=False,
            reason="unexpected",
        )
