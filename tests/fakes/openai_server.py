"""A local server that speaks the OpenAI wire protocol, for contract tests through the real SDK.

It serves `POST /v1/responses`, `POST /v1/chat/completions`, `POST /v1/audio/speech` (raw WAV
bytes, `speech_answer`) and `GET /v1/models/{id}` (any method and path, in fact) from queues of
canned replies that each test scripts, and records
every request it receives (method, path, headers, body) so tests can assert on what the SDK
really sent. A request with nothing queued gets a 400 that says so, which no adapter retries,
so a test that forgot a reply fails loudly instead of hanging.

    fake = FakeOpenAI().start()
    fake.reply("POST", "/v1/responses", Reply(body=responses_body('{"title": ...}')))
    writer = ...  # base_url = fake.base_url
    fake.requests[0].headers["authorization"]
"""

from __future__ import annotations

import dataclasses
import io
import math
import time
import wave

from tests.fakes.base import LoopbackFake, Recorded, Reply


class FakeOpenAI(LoopbackFake[Recorded]):
    """Replies are scripted per method and path; use as a context manager or `start()`/`stop()`."""

    url_prefix = "/v1"

    def reply(self, method: str, path: str, *replies: Reply, times: int = 1) -> None:
        """Queues replies for `method path`, each repeated `times` times, in order."""
        self._enqueue((method.upper(), path), [r for r in replies for _ in range(times)])

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if (r.method, r.path) == (method.upper(), path)]

    def _answer(self, recorded: Recorded) -> Reply:
        reply = self._take((recorded.method, recorded.path), recorded)
        if reply is None:
            message = f"fake server: no reply queued for {recorded.method} {recorded.path}"
            reply = Reply(status=400, body=error_body(message, code="unscripted"))
        # The API names every answer's request; the SDK keeps it (`_request_id`) for logs.
        request_id = {"x-request-id": f"req_{len(self.requests)}"}
        return dataclasses.replace(reply, headers={**request_id, **reply.headers})


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


def model_body(model: str, *, shutdown_date: str | int | None = None) -> dict:
    return {
        "id": model,
        "object": "model",
        "created": 1_780_000_000,
        "owned_by": "openai",
        "shutdown_date": shutdown_date,
    }


# ---------------------------------------------------------------- speech
SPEECH_PATH = "/v1/audio/speech"
SPEECH_RATE = 24000  # OpenAI's speech comes at 24 kHz, 16-bit mono
STREAMED_SIZE = 0xFFFFFFFF


def wav_bytes(seconds: float, *, rate: int = SPEECH_RATE, streamed: bool = False) -> bytes:
    """`seconds` of a quiet tone as a 16-bit mono WAV. `streamed` writes the header as a server
    does that starts sending before it knows the length: 0xFFFFFFFF for both sizes."""
    frames = round(seconds * rate)
    pcm = b"".join(
        int(3000 * math.sin(2 * math.pi * 330 * n / rate)).to_bytes(2, "little", signed=True)
        for n in range(frames)
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(pcm)
    data = bytearray(buffer.getvalue())
    if streamed:
        data[4:8] = STREAMED_SIZE.to_bytes(4, "little")
        data[40:44] = STREAMED_SIZE.to_bytes(4, "little")  # the data chunk's size
    return bytes(data)


def speech_answer(seconds: float = 1.5, *, streamed: bool = False) -> Reply:
    """What `/v1/audio/speech` answers for `response_format=wav`: the audio, not JSON."""
    return Reply(body=wav_bytes(seconds, streamed=streamed), content_type="audio/wav")
