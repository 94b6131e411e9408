"""`manage.py check_models` against local fakes of OpenAI, Google and a video gateway."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from tests.fakes.gemini_server import GeminiFake
from tests.fakes.openai_server import FakeOpenAI, Reply, model_body
from tests.fakes.videos_server import VideosFake, model_object


@pytest.fixture
def services(settings):
    openai, gemini, gateway = FakeOpenAI().start(), GeminiFake().start(), VideosFake().start()
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = "sk-test", openai.base_url
    settings.GEMINI_API_KEY, settings.GEMINI_API_BASE = "g-test", gemini.base_url
    settings.SORA_API_KEY, settings.SORA_API_BASE = "gw-test", gateway.base_url
    settings.GPT_MODEL = "gpt-6.1-sol"
    settings.SCRIPT_PROVIDER, settings.IMAGE_PROVIDER = "openai", "gemini"
    settings.SPEECH_PROVIDER = "local"
    settings.TTS_API_KEY, settings.TTS_BASE_URL = "sk-tts", openai.base_url
    settings.MAX_RETRIES = 0
    yield openai, gemini, gateway
    openai.stop()
    gemini.stop()
    gateway.stop()


def check() -> tuple[str, str]:
    out = io.StringIO()
    try:
        call_command("check_models", stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), ""


def test_it_says_every_configured_model_is_available(services, settings):
    openai, _, gateway = services
    settings.VIDEO_PROVIDER = "gateway"
    openai.reply("GET", "/v1/models/gpt-6.1-sol", Reply(body=model_body("gpt-6.1-sol")))
    gateway.models["sora-2"] = {"id": "sora-2", "object": "model", "created": 0,
                                "owned_by": "gateway"}  # fmt: skip

    out, failure = check()

    assert failure == ""
    assert "script openai   gpt-6.1-sol" in out and "available" in out
    assert "image  gemini   gemini-3.1-flash-image      available" in out
    assert "video  gateway  sora-2                      available" in out


def test_it_names_a_model_due_to_retire_and_when(services, settings):
    openai, _, _ = services
    settings.VIDEO_PROVIDER = "gemini"
    openai.reply("GET", "/v1/models/gpt-6.1-sol",
                 Reply(body=model_body("gpt-6.1-sol", shutdown_date="2099-04-01")))  # fmt: skip

    out, failure = check()

    assert failure == ""
    assert "RETIRING on 2099-04-01" in out


def test_it_fails_on_a_retired_or_unknown_model(services, settings):
    openai, gemini, _ = services
    settings.VIDEO_PROVIDER = "gemini"
    settings.GEMINI_IMAGE_MODEL = "gemini-2.5-flash-image"
    gemini.known_models = ("gemini-omni-1.2-flash",)
    openai.reply("GET", "/v1/models/gpt-6.1-sol",
                 Reply(body=model_body("gpt-6.1-sol", shutdown_date="2026-01-01")))  # fmt: skip

    out, failure = check()

    assert "RETIRED since 2026-01-01" in out
    assert "gemini-2.5-flash-image" in out and "UNKNOWN to the service" in out
    assert "script model gpt-6.1-sol is retired" in failure
    assert "image model gemini-2.5-flash-image is unknown" in failure


def test_it_leaves_a_model_unchecked_on_a_gateway_without_the_models_route(services, settings):
    openai, _, gateway = services
    settings.VIDEO_PROVIDER = "gateway"
    openai.reply("GET", "/v1/models/gpt-6.1-sol", Reply(body=model_body("gpt-6.1-sol")))
    gateway.serves_models = False

    out, failure = check()

    assert failure == ""
    assert "video  gateway  sora-2                      not checked" in out
    assert "does not answer GET /models/{id}" in out
    assert "UNKNOWN" not in out


def test_it_reads_a_shutdown_date_in_unix_seconds(services, settings):
    openai, _, gateway = services
    settings.VIDEO_PROVIDER = "gateway"
    openai.reply("GET", "/v1/models/gpt-6.1-sol", Reply(body=model_body("gpt-6.1-sol")))
    gateway.models["sora-2"] = model_object("sora-2", shutdown_date=4_070_908_800)

    out, failure = check()

    assert failure == ""
    assert "video  gateway  sora-2                      RETIRING on 2099-01-01" in out


def test_it_leaves_the_script_model_unchecked_on_a_server_that_cannot_look_it_up(
    services, settings
):
    openai, _, _ = services
    settings.VIDEO_PROVIDER = "gemini"
    openai.reply("GET", "/v1/models/gpt-6.1-sol", Reply(status=404, body={"detail": "Not Found"}))

    out, failure = check()

    assert failure == ""
    assert "script openai   gpt-6.1-sol                 not checked" in out


# ---------------------------------------------------------------- speech
@pytest.fixture
def openai_speech(services, settings):
    openai, _, _ = services
    settings.VIDEO_PROVIDER = "gemini"
    settings.SPEECH_PROVIDER = "openai"
    openai.reply("GET", "/v1/models/gpt-6.1-sol", Reply(body=model_body("gpt-6.1-sol")))
    return openai


def on_day(monkeypatch, day: datetime) -> None:
    """Makes `day` today for the lifecycle check and the command."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return day if tz is None else day.astimezone(tz)

    monkeypatch.setattr("generation.providers.base.datetime", Frozen)
    monkeypatch.setattr("generation.management.commands.check_models.timezone.now", lambda: day)


def test_it_says_the_offline_voices_are_always_available(services, settings):
    openai, _, _ = services
    settings.VIDEO_PROVIDER = "gemini"
    openai.reply("GET", "/v1/models/gpt-6.1-sol", Reply(body=model_body("gpt-6.1-sol")))

    out, failure = check()

    assert failure == ""
    assert "speech local    espeak-ng                   available" in out


@pytest.mark.parametrize("model", ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"])
def test_it_warns_that_openais_speech_models_retire_though_the_server_gives_no_date(
    openai_speech, settings, model
):
    settings.TTS_MODEL = model
    openai_speech.reply("GET", f"/v1/models/{model}", Reply(body=model_body(model)))

    out, failure = check()

    assert failure == ""
    [speech] = [row for row in out.splitlines() if row.startswith("speech")]
    assert f"speech openai   {model}" in speech
    assert "RETIRING on 2027-01-06" in speech
    assert "successor (gpt-realtime-2.1-mini) is on the Realtime API" in speech
    assert "not /v1/audio/speech" in speech


def test_it_fails_on_openais_speech_model_from_its_shutdown_day(openai_speech, settings,
                                                                 monkeypatch):  # fmt: skip
    settings.TTS_MODEL = "gpt-4o-mini-tts"
    openai_speech.reply("GET", "/v1/models/gpt-4o-mini-tts",
                        Reply(body=model_body("gpt-4o-mini-tts")))  # fmt: skip
    on_day(monkeypatch, datetime(2027, 1, 6, 0, 30, tzinfo=UTC))

    out, failure = check()

    assert "RETIRED" in out and "2027-01-06" in out
    assert "speech model gpt-4o-mini-tts is retired" in failure


def test_it_takes_the_servers_own_date_over_the_known_one(openai_speech, settings):
    settings.TTS_MODEL = "tts-1"
    openai_speech.reply("GET", "/v1/models/tts-1",
                        Reply(body=model_body("tts-1", shutdown_date="2026-12-20")))  # fmt: skip

    out, failure = check()

    assert failure == ""
    assert "RETIRING on 2026-12-20" in out
    assert "Realtime API" in out


def test_it_leaves_a_self_hosted_model_of_the_same_name_to_its_server(openai_speech, settings):
    settings.TTS_MODEL = "tts-1"
    self_hosted = {**model_body("tts-1"), "owned_by": "kokoro-fastapi"}
    openai_speech.reply("GET", "/v1/models/tts-1", Reply(body=self_hosted))

    out, failure = check()

    assert failure == ""
    assert "speech openai   tts-1                       available" in out
    assert "RETIRING" not in out


def test_it_asks_google_about_the_gemini_tts_model(services, settings):
    openai, gemini, _ = services
    settings.VIDEO_PROVIDER = "gemini"
    settings.SPEECH_PROVIDER = "gemini"
    openai.reply("GET", "/v1/models/gpt-6.1-sol", Reply(body=model_body("gpt-6.1-sol")))
    settings.GEMINI_TTS_MODEL = "gemini-3.8-flash-lite-tts"

    out, failure = check()

    assert failure == ""
    assert "speech gemini   gemini-3.8-flash-lite-tts   available" in out
    assert gemini.requests_to("model")[-1].path == "/v1beta/models/gemini-3.8-flash-lite-tts"

    settings.GEMINI_TTS_MODEL = "gemini-3.1-flash-tts-preview"
    gemini.known_models = ("gemini-3.1-flash-image", "gemini-omni-1.2-flash",
                           "gemini-3.1-flash-tts-preview")  # fmt: skip
    openai.reply("GET", "/v1/models/gpt-6.1-sol", Reply(body=model_body("gpt-6.1-sol")))

    out, failure = check()

    assert failure == ""
    assert "RETIRING on 2026-12-18" in out and "gemini-3.8-flash-lite-tts replaces it" in out

    settings.GEMINI_TTS_MODEL = "gemini-2.0-tts"
    openai.reply("GET", "/v1/models/gpt-6.1-sol", Reply(body=model_body("gpt-6.1-sol")))

    out, failure = check()

    assert "speech model gemini-2.0-tts is unknown" in failure
