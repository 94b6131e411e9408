"""`manage.py check_models` against local fakes of OpenAI, Google and a video gateway."""

from __future__ import annotations

import io

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
