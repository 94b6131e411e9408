"""Contract tests of the OpenAI script writer: the real `openai` SDK against a local fake API.

Each scenario runs in both modes, the Responses API and Chat Completions, where it applies.
The fake records what the SDK sent, so the tests check the wire (auth header, model, schema)
as well as what the adapter makes of each answer.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import socket

import pytest
from django.utils import timezone

from dramas.models import DialogueLine, Drama, Scene
from dramas.script import normalise_script
from dramas.services import drama_create_writing, script_of, script_save
from generation.providers.base import ProviderError, ScriptOptions
from generation.providers.openai import OpenAIScriptWriter
from generation.providers.registry import script_provider
from tests.fakes.openai_server import (
    FakeOpenAI,
    Reply,
    chat_body,
    error_body,
    model_body,
    responses_body,
)

MODEL = "gpt-6.1-sol"
PATHS = {"responses": "/v1/responses", "chat": "/v1/chat/completions"}
PREMISE = "Two rival chefs inherit the same restaurant"
OPTIONS = ScriptOptions(
    premise=PREMISE,
    genre="comedy",
    tone="playful",
    character_count=3,
    episode_count=2,
    scenes_per_episode=2,
)
DRAMA_FIELDS = {"title", "premise", "logline", "genre", "tone", "characters", "episodes"}


# ---------------------------------------------------------------- fixtures
@pytest.fixture
def fake(settings):
    server = FakeOpenAI().start()
    settings.OPENAI_BASE_URL = server.base_url
    settings.OPENAI_API_KEY = "sk-test"
    settings.GPT_MODEL = MODEL
    settings.MAX_RETRIES = 2
    settings.PROVIDER_TIMEOUT = 30
    settings.PROVIDER_MAX_WAIT = 60
    # Our own prices, so the cost asserted does not follow the default table.
    settings.PRICES_JSON = json.dumps(
        {MODEL: {"input_per_million": 2.0, "output_per_million": 10.0}}
    )
    yield server
    server.stop()


@pytest.fixture(params=["responses", "chat"])
def mode(request, settings) -> str:
    settings.OPENAI_API_MODE = request.param
    return request.param


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list[float]:
    """The retry loop's waits, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr("generation.providers.retry.time.sleep", recorded.append)
    return recorded


# ---------------------------------------------------------------- answers
def a_script(characters: int = 3, episodes: int = 2, scenes: int = 2) -> dict:
    """A whole script as the model would answer it: every field, ids and references right."""
    cast = [f"char_{c + 1:03d}" for c in range(characters)]
    return {
        "title": "Salt and Rivalry",
        "premise": "Two chefs, one kitchen.",
        "logline": "A kitchen war nobody can win.",
        "genre": "comedy",
        "tone": "playful",
        "characters": [
            {
                "id": cid,
                "name": f"Chef {c + 1}",
                "role": "lead" if c == 0 else "rival",
                "description": f"Chef number {c + 1}, proud and stubborn.",
                "appearance": f"{30 + c} years old, short dark hair, white chef's jacket",
            }
            for c, cid in enumerate(cast)
        ],
        "episodes": [
            {
                "id": f"ep_{e + 1:02d}",
                "title": f"Episode {e + 1}",
                "synopsis": f"The war escalates, round {e + 1}.",
                "scenes": [
                    {
                        "id": f"sc_{e + 1:02d}_{s + 1:02d}",
                        "title": f"Service {s + 1}",
                        "location": "restaurant kitchen",
                        "time_of_day": "night",
                        "description": "They fight over the last pan.",
                        "visual_prompt": "a steaming kitchen at night, vertical 9:16",
                        "characters": list(dict.fromkeys(pair := [
                            cast[(e + s) % characters], cast[(e + s + 1) % characters]
                        ])),
                        "dialogue": [
                            {"character": pair[0], "line": "Out of my kitchen."},
                            {"character": pair[1], "line": "Our kitchen."},
                        ],
                        "target_duration": 8,
                    }
                    for s in range(scenes)
                ],
            }
            for e in range(episodes)
        ],
    }  # fmt: skip


def answer(mode: str, text: str | None = None, **fields) -> Reply:
    """A 200 answer in the mode's shape (see responses_body and chat_body for the fields)."""
    body = responses_body(text, **fields) if mode == "responses" else chat_body(text, **fields)
    return Reply(body=body)


def script_answer(mode: str, script: dict | None = None, **fields) -> Reply:
    return answer(mode, json.dumps(a_script() if script is None else script), **fields)


def sent_schema(mode: str, body: dict) -> tuple[str, dict]:
    """The name and JSON schema the SDK sent, after checking it asked for strict output."""
    if mode == "responses":
        fmt = body["text"]["format"]
        assert fmt["type"] == "json_schema"
    else:
        assert body["response_format"]["type"] == "json_schema"
        fmt = body["response_format"]["json_schema"]
    assert fmt["strict"] is True
    return fmt["name"], fmt["schema"]


def sent_text(mode: str, body: dict) -> str:
    messages = body["input"] if mode == "responses" else body["messages"]
    return "\n".join(m["content"] for m in messages)


def failure(call) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call()
    return caught.value


def scenes_of(script: dict) -> list[dict]:
    return [scene for episode in script["episodes"] for scene in episode["scenes"]]


# ---------------------------------------------------------------- success
def test_it_writes_a_drama_of_the_requested_size(fake, mode):
    fake.reply("POST", PATHS[mode], script_answer(mode))

    script = OpenAIScriptWriter().write(OPTIONS)

    assert len(script["characters"]) == 3
    assert [len(e["scenes"]) for e in script["episodes"]] == [2, 2]
    assert normalise_script(copy.deepcopy(script)) == script
    assert [e["number"] for e in script["episodes"]] == [1, 2]
    assert [s["number"] for s in scenes_of(script)] == [1, 2, 1, 2]
    assert script["premise"] == PREMISE  # the user's premise, not the model's echo
    assert script["title"] == "Salt and Rivalry"
    assert scenes_of(script)[0]["dialogue"][0] == {
        "character": "char_001",
        "line": "Out of my kitchen.",
    }


def test_it_sends_the_key_the_model_and_a_strict_drama_schema(fake, mode):
    fake.reply("POST", PATHS[mode], script_answer(mode))

    OpenAIScriptWriter().write(OPTIONS)

    [request] = fake.requests
    assert (request.method, request.path) == ("POST", PATHS[mode])
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.json["model"] == MODEL
    name, schema = sent_schema(mode, request.json)
    assert name == "DramaScript"
    assert set(schema["properties"]) == DRAMA_FIELDS
    assert set(schema["required"]) == DRAMA_FIELDS
    assert schema["additionalProperties"] is False
    scene = schema["$defs"]["ScriptScene"]
    assert scene["properties"]["target_duration"]["type"] == "integer"
    assert set(scene["required"]) == {
        "id", "title", "location", "time_of_day", "description", "visual_prompt",
        "characters", "dialogue", "target_duration",
    }  # fmt: skip
    text = sent_text(mode, request.json)
    assert PREMISE in text
    assert "exactly 3 characters" in text
    assert "exactly 2 episodes of exactly 2 scenes each" in text


def test_it_records_usage_and_cost(fake, mode):
    fake.reply("POST", PATHS[mode], script_answer(mode, usage=(1000, 2000)))
    writer = OpenAIScriptWriter()

    writer.write(OPTIONS)

    [record] = writer.calls
    assert (record.provider, record.model, record.operation) == ("openai", MODEL, "write")
    assert (record.usage.input_tokens, record.usage.output_tokens) == (1000, 2000)
    assert record.attempts == 1
    assert record.cost_usd == pytest.approx(1000 * 2.0 / 1e6 + 2000 * 10.0 / 1e6)
    assert record.error == ""


# ---------------------------------------------------------------- retries
@pytest.mark.parametrize(
    ("headers", "wait"), [({"Retry-After": "2"}, 2.0), ({"retry-after-ms": "1500"}, 1.5)]
)
def test_it_waits_as_long_as_the_service_asks_then_succeeds(fake, mode, waits, headers, wait):
    limited = Reply(
        status=429,
        body=error_body("Rate limit reached for requests", type="requests",
                        code="rate_limit_exceeded"),
        headers=headers,
    )  # fmt: skip
    fake.reply("POST", PATHS[mode], limited, script_answer(mode))
    writer = OpenAIScriptWriter()

    script = writer.write(OPTIONS)

    assert len(script["characters"]) == 3
    assert waits == [wait]
    assert len(fake.requests) == 2
    assert writer.calls[-1].attempts == 2
    assert writer.calls[-1].cost_usd is not None


@pytest.mark.parametrize(
    ("status", "reason"),
    [(500, "server_error"), (503, "server_error"), (409, "server_error"), (408, "timeout")],
)
def test_it_gives_up_when_the_service_keeps_failing(fake, mode, waits, status, reason):
    fake.reply(
        "POST", PATHS[mode], Reply(status=status, body=error_body("The server had an error",
                                                                  type="server_error")), times=3
    )  # fmt: skip
    writer = OpenAIScriptWriter()

    error = failure(lambda: writer.write(OPTIONS))

    assert error.retryable is True
    assert error.reason == reason
    assert len(fake.requests) == 3  # 1 + MAX_RETRIES, and none by the SDK itself
    assert len(waits) == 2
    assert writer.calls[-1].attempts == 3
    assert writer.calls[-1].cost_usd is None
    assert writer.calls[-1].error


def test_it_times_out_a_hung_response(fake, mode, settings):
    settings.PROVIDER_TIMEOUT = 1
    settings.MAX_RETRIES = 1  # two tries show the retry; each costs a real second
    fake.reply("POST", PATHS[mode], Reply(body=script_answer(mode).body, delay=5), times=2)

    error = failure(lambda: OpenAIScriptWriter().write(OPTIONS))

    assert (error.retryable, error.reason) == (True, "timeout")
    assert len(fake.requests) == 2


def test_it_retries_when_the_service_cannot_be_reached(fake, mode, settings, waits):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{closed_port}/v1"

    error = failure(lambda: OpenAIScriptWriter().write(OPTIONS))

    assert (error.retryable, error.reason) == (True, "connection")
    assert len(waits) == 2


# ---------------------------------------------------------------- answers that are not a drama
def test_it_does_not_retry_a_refusal(fake, mode, waits):
    fake.reply("POST", PATHS[mode], answer(mode, refusal="I can't help with that request."))

    error = failure(lambda: OpenAIScriptWriter().write(OPTIONS))

    assert (error.retryable, error.reason) == (False, "refused")
    assert "I can't help with that request." in str(error)
    assert len(fake.requests) == 1
    assert waits == []


@pytest.mark.parametrize("cut", [True, False], ids=["cut-json", "whole-json"])
def test_it_does_not_retry_a_truncated_answer(fake, mode, cut):
    text = json.dumps(a_script())
    text = text[: len(text) // 2] if cut else text
    if mode == "responses":
        reply = answer(mode, text, status="incomplete", incomplete_reason="max_output_tokens")
        why = "max_output_tokens"
    else:
        reply = answer(mode, text, finish_reason="length")
        why = "length"
    fake.reply("POST", PATHS[mode], reply)

    error = failure(lambda: OpenAIScriptWriter().write(OPTIONS))

    assert (error.retryable, error.reason) == (False, "truncated")
    assert why in str(error)
    assert len(fake.requests) == 1


def test_it_does_not_retry_a_safety_stop(fake, mode):
    if mode == "responses":
        reply = answer(mode, None, status="incomplete", incomplete_reason="content_filter")
    else:
        reply = answer(mode, None, finish_reason="content_filter")
    fake.reply("POST", PATHS[mode], reply)

    error = failure(lambda: OpenAIScriptWriter().write(OPTIONS))

    assert (error.retryable, error.reason) == (False, "safety")
    assert len(fake.requests) == 1


def test_it_retries_a_response_that_failed_on_the_service_side(fake, waits):
    failed = answer(
        "responses",
        None,
        status="failed",
        error={"code": "server_error", "message": "The model crashed mid-answer."},
    )
    fake.reply("POST", PATHS["responses"], failed, script_answer("responses"))
    writer = OpenAIScriptWriter()

    script = writer.write(OPTIONS)

    assert len(script["episodes"]) == 2
    assert len(fake.requests) == 2
    assert len(waits) == 1


def _without_logline(script: dict) -> dict:
    del script["logline"]
    return script


def _stranger_in_scene(script: dict) -> dict:
    script["episodes"][0]["scenes"][0]["characters"].append("char_999")
    return script


def _stranger_speaks(script: dict) -> dict:
    script["episodes"][1]["scenes"][1]["dialogue"][0]["character"] = "char_042"
    return script


def _twin_ids(script: dict) -> dict:
    script["characters"][1]["id"] = "char_001"
    return script


def _blank_episode_title(script: dict) -> dict:
    script["episodes"][0]["title"] = ""
    return script


def _duration_as_text(script: dict) -> dict:
    script["episodes"][0]["scenes"][0]["target_duration"] = "eight"
    return script


def _extra_field(script: dict) -> dict:
    script["characters"][0]["age"] = 34
    return script


def _id_with_spaces(script: dict) -> dict:
    script["characters"][0]["id"] = "chef number one"
    return script


def _long_title(script: dict) -> dict:
    script["title"] = "Salt " * 50
    return script


def _endless_scene(script: dict) -> dict:
    script["episodes"][0]["scenes"][1]["target_duration"] = 600
    return script


def _one_character_twice(script: dict) -> dict:
    scene = script["episodes"][0]["scenes"][0]
    scene["characters"].append(scene["characters"][0])
    return script


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ('{"title": "Salt and Riv', "json"),
        (json.dumps(_without_logline(a_script())), "logline"),
        (json.dumps(_duration_as_text(a_script())), "target_duration"),
        (json.dumps(_extra_field(a_script())), "characters[0]: additional properties"),
        (json.dumps(_id_with_spaces(a_script())), "characters[0].id: 'chef number one' is not"),
        (json.dumps(_long_title(a_script())), "title: is longer than 200 characters"),
        (json.dumps(_endless_scene(a_script())), "scenes[1].target_duration: 600"),
        (json.dumps(_one_character_twice(a_script())), "A character is listed twice"),
        (json.dumps(a_script(characters=2)), "2 characters, not 3"),
        (json.dumps(a_script(episodes=3)), "3 episodes, not 2"),
        (json.dumps(a_script(scenes=1)), "1 scenes, not 2"),
        (json.dumps(_stranger_in_scene(a_script())), "char_999"),
        (json.dumps(_stranger_speaks(a_script())), "char_042"),
        (json.dumps(_twin_ids(a_script())), "Duplicate character id"),
        (json.dumps(_blank_episode_title(a_script())), "episodes[0].title"),
        (None, "without the structured output"),
    ],
    ids=[
        "not-json", "missing-field", "wrong-type", "extra-field", "malformed-id", "long-title",
        "scene-too-long", "character-twice-in-scene", "too-few-characters", "too-many-episodes",
        "too-few-scenes", "unknown-character-in-scene", "unknown-speaker", "duplicate-ids",
        "blank-title", "no-answer",
    ],
)  # fmt: skip
def test_it_retries_a_malformed_answer_then_fails(fake, mode, waits, text, hint):
    fake.reply("POST", PATHS[mode], answer(mode, text), times=3)
    writer = OpenAIScriptWriter()

    error = failure(lambda: writer.write(OPTIONS))

    assert (error.retryable, error.reason) == (True, "malformed_answer")
    assert hint.lower() in str(error).lower()
    assert len(fake.requests) == 3
    assert writer.calls[-1].attempts == 3


def test_it_asks_again_after_a_malformed_answer(fake, mode):
    fake.reply("POST", PATHS[mode], script_answer(mode, a_script(characters=5)))
    fake.reply("POST", PATHS[mode], script_answer(mode))
    writer = OpenAIScriptWriter()

    script = writer.write(OPTIONS)

    assert len(script["characters"]) == 3
    assert len(fake.requests) == 2
    assert writer.calls[-1].attempts == 2


def test_a_malformed_answer_is_billed_in_the_calls_cost(fake, mode):
    fake.reply("POST", PATHS[mode], script_answer(mode, a_script(characters=5), usage=(10, 20)))
    fake.reply("POST", PATHS[mode], script_answer(mode, usage=(1000, 2000)))
    writer = OpenAIScriptWriter()

    writer.write(OPTIONS)

    usage = writer.calls[-1].usage
    assert (usage.input_tokens, usage.output_tokens) == (1010, 2020)


# ---------------------------------------------------------------- requests the service refuses
@pytest.mark.parametrize(
    ("status", "code", "hint"),
    [
        (404, "model_not_found", "set GPT_MODEL"),
        (400, "model_not_found", "set GPT_MODEL"),
        (404, None, "OPENAI_API_MODE=chat"),
    ],
)
def test_it_names_a_retired_model(fake, mode, waits, status, code, hint):
    gone = error_body(
        f"The model `{MODEL}` does not exist or you do not have access to it.", code=code
    )
    fake.reply("POST", PATHS[mode], Reply(status=status, body=gone))

    error = failure(lambda: OpenAIScriptWriter().write(OPTIONS))

    assert (error.retryable, error.reason) == (False, "model_unavailable")
    assert MODEL in str(error)
    assert hint in str(error)
    assert len(fake.requests) == 1
    assert waits == []


@pytest.mark.parametrize(
    ("status", "reason"),
    [(401, "auth"), (403, "auth"), (400, "invalid_request"), (422, "invalid_request")],
)
def test_it_does_not_retry_a_request_the_service_refuses(fake, mode, status, reason):
    refused = error_body("Nope.", type="invalid_request_error", code="some_code")
    fake.reply("POST", PATHS[mode], Reply(status=status, body=refused))

    error = failure(lambda: OpenAIScriptWriter().write(OPTIONS))

    assert (error.retryable, error.reason) == (False, reason)
    assert "Nope." in str(error)
    assert len(fake.requests) == 1


def test_it_refuses_to_start_without_a_key(fake, mode, settings):
    settings.OPENAI_API_KEY = ""

    error = failure(lambda: OpenAIScriptWriter().write(OPTIONS))

    assert (error.retryable, error.reason) == (False, "auth")
    assert fake.requests == []


# ---------------------------------------------------------------- improve and critique
def test_it_improves_a_script(fake, mode):
    current = normalise_script(a_script())
    better = a_script()
    better["logline"] = "A kitchen war that turns into a love story."
    better["characters"].append(
        {"id": "char_004", "name": "The Critic", "role": "wildcard",
         "description": "A food critic.", "appearance": "60, grey beard, tweed jacket"}
    )  # fmt: skip
    better["episodes"][0]["scenes"][0]["characters"].append("char_004")
    fake.reply("POST", PATHS[mode], script_answer(mode, better))
    writer = OpenAIScriptWriter()

    improved = writer.improve(current, "Add a food critic who falls for one of them.")

    assert improved["logline"] == better["logline"]
    assert [c["id"] for c in improved["characters"]][-1] == "char_004"
    assert normalise_script(copy.deepcopy(improved)) == improved
    [request] = fake.requests
    assert sent_schema(mode, request.json)[0] == "DramaScript"
    text = sent_text(mode, request.json)
    assert "Add a food critic who falls for one of them." in text
    assert json.dumps(current, ensure_ascii=False) in text
    assert writer.calls[-1].operation == "improve"


def test_it_retries_an_improvement_that_breaks_the_script(fake, mode):
    fake.reply("POST", PATHS[mode], script_answer(mode, _stranger_speaks(a_script())), times=3)

    error = failure(lambda: OpenAIScriptWriter().improve(a_script(), "More drama."))

    assert (error.retryable, error.reason) == (True, "malformed_answer")
    assert "char_042" in str(error)


CRITIQUE = {
    "score": 72,
    "summary": "Tight, but the rival never gets a scene of their own.",
    "issues": [
        {
            "code": "character_never_speaks",
            "severity": "minor",
            "message": "Chef 3 barely speaks.",
            "refs": ["char_003", "char_999"],
        },
        {
            "code": "flat_ending",
            "severity": "major",
            "message": "The last scene resolves nothing.",
            "refs": ["sc_02_02", "ep_02"],
        },
    ],
}


def test_it_critiques_a_script(fake, mode):
    fake.reply("POST", PATHS[mode], answer(mode, json.dumps(CRITIQUE)))
    script = normalise_script(a_script())
    writer = OpenAIScriptWriter()

    critique = writer.critique(script)

    assert critique == {
        "score": 72,
        "summary": CRITIQUE["summary"],
        "issues": [
            # char_999 is not in the script: a ref that points nowhere is dropped.
            {**CRITIQUE["issues"][0], "refs": ["char_003"]},
            CRITIQUE["issues"][1],
        ],
        "provider": "openai",
    }
    [request] = fake.requests
    name, schema = sent_schema(mode, request.json)
    assert name == "ScriptCritique"
    assert set(schema["properties"]) == {"score", "summary", "issues"}
    assert schema["$defs"]["CritiqueIssue"]["properties"]["severity"]["enum"] == [
        "major",
        "minor",
    ]
    assert json.dumps(script, ensure_ascii=False) in sent_text(mode, request.json)
    assert writer.calls[-1].operation == "critique"


@pytest.mark.parametrize(
    "broken",
    [{"score": 150}, {"issues": [{**CRITIQUE["issues"][0], "severity": "critical"}]}],
    ids=["score-out-of-range", "unknown-severity"],
)
def test_it_retries_a_critique_outside_the_schema(fake, mode, broken):
    fake.reply("POST", PATHS[mode], answer(mode, json.dumps({**CRITIQUE, **broken})), times=3)

    error = failure(lambda: OpenAIScriptWriter().critique(a_script()))

    assert (error.retryable, error.reason) == (True, "malformed_answer")
    assert len(fake.requests) == 3


# ---------------------------------------------------------------- model lifecycle
MODEL_PATH = f"/v1/models/{MODEL}"


def in_days(days: int) -> str:
    return (timezone.now().date() + dt.timedelta(days=days)).isoformat()


def test_it_says_a_model_without_a_shutdown_date_is_available(fake):
    fake.reply("GET", MODEL_PATH, Reply(body=model_body(MODEL)))

    state = OpenAIScriptWriter().lifecycle()

    assert (state.provider, state.model, state.state) == ("openai", MODEL, "available")
    assert state.shutdown_date is None
    [request] = fake.requests
    assert (request.method, request.path) == ("GET", MODEL_PATH)
    assert request.headers["authorization"] == "Bearer sk-test"


@pytest.mark.parametrize(("days", "expected"), [(1, "retiring"), (90, "retiring"),
                                                (0, "retired"), (-1, "retired"),
                                                (-400, "retired")])  # fmt: skip
def test_it_reads_the_shutdown_date(fake, days, expected):
    fake.reply("GET", MODEL_PATH, Reply(body=model_body(MODEL, shutdown_date=in_days(days))))

    state = OpenAIScriptWriter().lifecycle()

    assert state.state == expected
    assert state.shutdown_date == in_days(days)


def test_it_says_a_model_the_service_does_not_know_is_unknown(fake):
    gone = error_body(f"The model `{MODEL}` does not exist.", code="model_not_found")
    fake.reply("GET", MODEL_PATH, Reply(status=404, body=gone))

    state = OpenAIScriptWriter().lifecycle()

    assert state.state == "unknown"
    assert MODEL in state.detail
    assert len(fake.requests) == 1


@pytest.mark.parametrize(("days", "expected"), [(30, "retiring"), (-30, "retired")])
def test_it_reads_a_shutdown_date_given_in_unix_seconds(fake, days, expected):
    day = timezone.now().date() + dt.timedelta(days=days)
    seconds = int(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC).timestamp())
    fake.reply("GET", MODEL_PATH, Reply(body=model_body(MODEL, shutdown_date=seconds)))

    state = OpenAIScriptWriter().lifecycle()

    assert (state.state, state.shutdown_date) == (expected, day.isoformat())


def test_it_reports_an_unreadable_shutdown_date_as_unchecked(fake):
    fake.reply("GET", MODEL_PATH, Reply(body=model_body(MODEL, shutdown_date="next spring")))

    state = OpenAIScriptWriter().lifecycle()

    assert state.state == "unchecked"
    assert "next spring" in state.detail


@pytest.mark.parametrize(
    "answer",
    [
        Reply(status=404, body={"detail": "Not Found"}),
        Reply(status=405, body={"detail": "Method Not Allowed"}),
    ],
    ids=["404", "405"],
)
def test_it_leaves_the_model_unchecked_on_a_server_without_the_models_route(fake, answer):
    # Compatible servers often list their models but cannot look one up.
    fake.reply("GET", MODEL_PATH, answer)

    state = OpenAIScriptWriter().lifecycle()

    assert state.state == "unchecked"
    assert "does not answer GET /models/{id}" in state.detail
    assert str(answer.status) in state.detail


def test_it_says_when_it_could_not_check_the_model(fake):
    fake.reply("GET", MODEL_PATH, Reply(status=401, body=error_body("Incorrect API key.")))

    state = OpenAIScriptWriter().lifecycle()

    assert state.state == "unchecked"
    assert "Incorrect API key." in state.detail


# ---------------------------------------------------------------- the script job's path
@pytest.mark.django_db
def test_it_writes_a_script_that_the_script_job_saves(fake, settings, user):
    settings.OPENAI_API_MODE = "responses"
    settings.SCRIPT_PROVIDER = "openai"
    fake.reply("POST", PATHS["responses"], script_answer("responses"))
    drama = drama_create_writing(owner=user, premise=PREMISE)
    assert drama.status == Drama.Status.WRITING

    provider = script_provider()
    script = provider.write(OPTIONS)
    script_save(drama=drama, script=script, expected_version=None)

    assert isinstance(provider, OpenAIScriptWriter)
    drama.refresh_from_db()
    assert drama.status == Drama.Status.READY
    assert (drama.title, drama.premise) == ("Salt and Rivalry", PREMISE)
    assert Scene.objects.filter(drama=drama).count() == 4
    assert DialogueLine.objects.filter(scene__drama=drama).count() == 8
    saved = script_of(drama)
    assert [c["id"] for c in saved["characters"]] == ["char_001", "char_002", "char_003"]
    assert [s["id"] for s in scenes_of(saved)] == ["sc_01_01", "sc_01_02", "sc_02_01", "sc_02_02"]
    assert len(fake.requests) == 1
