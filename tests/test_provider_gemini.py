"""Contract tests of the Gemini adapters: the real google-genai SDK against a local fake of
Google's wire protocol (tests/fakes/gemini_server.py), asserting on what the server received.
"""

from __future__ import annotations

import base64
import json

import pytest

from generation.providers import retry
from generation.providers.base import (
    ImageRequest,
    ProviderError,
    ReferenceImage,
    VideoRequest,
)
from generation.providers.gemini import GeminiImageProvider, GeminiOmniVideoProvider
from tests.fakes.gemini_server import (
    MP4_BYTES,
    PNG_1X1,
    GeminiFake,
    Reply,
    blocked_answer,
    error,
    file_metadata,
    image_answer,
    inline_images,
    interaction,
    no_image_answer,
    texts,
)

IMAGE_MODEL = "gemini-3.1-flash-image"
VIDEO_MODEL = "gemini-omni-1.2-flash"
PORTRAIT = b"\x89PNG\r\n\x1a\n" + b"portrait-of-mei-" * 20
DRAWN = b"\x89PNG\r\n\x1a\n" + b"the-storyboard-" * 30


@pytest.fixture
def fake():
    with GeminiFake(known_models=(IMAGE_MODEL, VIDEO_MODEL)) as server:
        yield server


@pytest.fixture(autouse=True)
def gemini_settings(settings, fake):
    settings.GEMINI_API_BASE = f"http://127.0.0.1:{fake.port}"
    settings.GEMINI_API_KEY = "g-test"
    settings.GEMINI_API_VERSION = "v1beta"
    settings.GEMINI_IMAGE_MODEL = IMAGE_MODEL
    settings.GEMINI_VIDEO_MODEL = VIDEO_MODEL
    settings.MAX_RETRIES = 2
    settings.PROVIDER_TIMEOUT = 5
    settings.PROVIDER_MAX_WAIT = 60
    settings.PRICES_JSON = ""
    return settings


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list[float]:
    """The retry loop's waits, recorded instead of slept.

    `call_with_retries` binds `time.sleep` as the default of its `sleep` argument when the
    module loads, so patching `retry.time.sleep` would not reach it: the default is replaced.
    """
    recorded: list[float] = []
    monkeypatch.setitem(retry.call_with_retries.__kwdefaults__, "sleep", recorded.append)
    return recorded


def storyboard(**overrides) -> ImageRequest:
    fields = {
        "prompt": "Mei slams the ledger shut in the night kitchen",
        "references": (ReferenceImage(PORTRAIT, "image/png"),),
        "aspect_ratio": "9:16",
    }
    return ImageRequest(**{**fields, **overrides})


def clip(**overrides) -> VideoRequest:
    fields = {
        "prompt": "Mei walks out of the kitchen into the rain",
        "duration_seconds": 8,
        "aspect_ratio": "9:16",
        "resolution": "720p",
        "reference": ReferenceImage(DRAWN, "image/png"),
    }
    return VideoRequest(**{**fields, **overrides})


# ---------------------------------------------------------------- images
def test_it_sends_the_prompt_the_portraits_and_the_aspect_ratio_and_returns_the_image(fake):
    fake.reply("generate", image_answer(DRAWN, mime_type="image/png"))

    result = GeminiImageProvider().generate(storyboard())

    assert result.data == DRAWN
    assert result.content_type == "image/png"
    assert result.model == IMAGE_MODEL
    [sent] = fake.requests
    assert sent.method == "POST"
    assert sent.path == f"/v1beta/models/{IMAGE_MODEL}:generateContent"
    assert sent.headers["x-goog-api-key"] == "g-test"
    assert texts(sent) == ["Mei slams the ledger shut in the night kitchen"]
    assert inline_images(sent) == [("image/png", PORTRAIT)]
    config = sent.json["generationConfig"]
    assert config["responseModalities"] == ["IMAGE"]
    assert config["imageConfig"] == {"aspectRatio": "9:16"}


def test_it_sends_every_reference_image_in_order(fake):
    second = ReferenceImage(b"\xff\xd8\xff" + b"jpeg-of-ren" * 10, "image/jpeg")
    request = storyboard(references=(ReferenceImage(PORTRAIT), second), aspect_ratio="16:9")

    GeminiImageProvider().generate(request)

    [sent] = fake.requests
    assert inline_images(sent) == [("image/png", PORTRAIT), ("image/jpeg", second.data)]
    assert sent.json["generationConfig"]["imageConfig"]["aspectRatio"] == "16:9"


def test_it_records_the_usage_and_the_cost_of_each_image(fake):
    provider = GeminiImageProvider()

    provider.generate(storyboard())

    [call] = provider.calls
    assert (call.provider, call.model, call.operation, call.attempts) == (
        "gemini",
        IMAGE_MODEL,
        "image",
        1,
    )
    assert call.usage.images == 1
    assert (call.usage.input_tokens, call.usage.output_tokens) == (25, 1290)
    assert call.cost_usd == pytest.approx(0.067)  # gemini-3.1-flash-image at 1K
    assert call.error == ""


def test_it_prices_images_from_the_operators_table(fake, settings):
    settings.PRICES_JSON = json.dumps({IMAGE_MODEL: {"per_image": 0.05}})
    provider = GeminiImageProvider()

    provider.generate(storyboard())

    assert provider.calls[0].cost_usd == pytest.approx(0.05)


def test_it_waits_as_long_as_retry_after_says_on_429_then_succeeds(fake, waits):
    fake.reply("generate", error(429, "Resource has been exhausted", headers={"Retry-After": "7"}))
    provider = GeminiImageProvider()

    result = provider.generate(storyboard())

    assert result.data == PNG_1X1
    assert len(fake.requests_to("generate")) == 2
    assert waits == [7.0]
    assert provider.calls[0].attempts == 2


def test_it_gives_up_after_three_tries_on_server_errors(fake, waits):
    fake.reply("generate", *[error(503, "The model is overloaded.")] * 5)
    provider = GeminiImageProvider()

    with pytest.raises(ProviderError) as caught:
        provider.generate(storyboard())

    assert caught.value.retryable is True
    assert caught.value.reason == "server_error"
    assert "overloaded" in str(caught.value)
    assert len(fake.requests_to("generate")) == 3
    assert len(waits) == 2
    [call] = provider.calls
    assert call.attempts == 3 and call.cost_usd is None and "503" in call.error


def test_it_treats_a_hung_response_as_a_retryable_timeout(fake, settings, waits):
    settings.PROVIDER_TIMEOUT = 0.3
    fake.reply("generate", *[Reply(body={}, delay=5)] * 3)

    with pytest.raises(ProviderError) as caught:
        GeminiImageProvider().generate(storyboard())

    assert caught.value.retryable is True
    assert caught.value.reason == "timeout"
    assert len(fake.requests_to("generate")) == 3


def test_it_recovers_when_a_hung_response_is_followed_by_an_answer(fake, settings):
    settings.PROVIDER_TIMEOUT = 0.3
    fake.reply("generate", Reply(body={}, delay=5), image_answer(DRAWN))

    assert GeminiImageProvider().generate(storyboard()).data == DRAWN
    assert len(fake.requests_to("generate")) == 2


def test_it_calls_an_unreachable_service_a_retryable_connection_error(fake, settings):
    fake.stop()  # the port is closed now: connections are refused

    with pytest.raises(ProviderError) as caught:
        GeminiImageProvider().generate(storyboard())

    assert caught.value.retryable is True
    assert caught.value.reason == "connection"


def test_it_refuses_a_blocked_prompt_at_once_keeping_the_reason(fake, waits):
    fake.reply("generate", blocked_answer("PROHIBITED_CONTENT", "The prompt names a minor."))
    provider = GeminiImageProvider()

    with pytest.raises(ProviderError) as caught:
        provider.generate(storyboard())

    assert caught.value.retryable is False
    assert caught.value.reason == "safety"
    assert "PROHIBITED_CONTENT" in str(caught.value)
    assert "The prompt names a minor." in str(caught.value)
    assert len(fake.requests) == 1
    assert waits == []
    assert "PROHIBITED_CONTENT" in provider.calls[0].error


@pytest.mark.parametrize(
    ("finish_reason", "reason"),
    [("IMAGE_SAFETY", "safety"), ("IMAGE_PROHIBITED_CONTENT", "safety"), ("NO_IMAGE", "no_image")],
)
def test_it_refuses_an_answer_without_an_image(fake, finish_reason, reason):
    fake.reply("generate", no_image_answer(finish_reason, text="I can't draw that scene."))

    with pytest.raises(ProviderError) as caught:
        GeminiImageProvider().generate(storyboard())

    assert caught.value.retryable is False
    assert caught.value.reason == reason
    assert finish_reason in str(caught.value)
    assert "I can't draw that scene." in str(caught.value)
    assert len(fake.requests) == 1


def test_it_names_a_retired_model_and_does_not_retry(fake, settings, waits):
    settings.GEMINI_IMAGE_MODEL = "gemini-2.5-flash-image"

    with pytest.raises(ProviderError) as caught:
        GeminiImageProvider().generate(storyboard())

    assert caught.value.retryable is False
    assert caught.value.reason == "model_unavailable"
    assert "gemini-2.5-flash-image" in str(caught.value)
    assert [r.path for r in fake.requests] == [
        "/v1beta/models/gemini-2.5-flash-image:generateContent"
    ]
    assert waits == []


def test_it_refuses_a_wrong_key_as_an_auth_failure(fake, settings):
    settings.GEMINI_API_KEY = "g-wrong"

    with pytest.raises(ProviderError) as caught:
        GeminiImageProvider().generate(storyboard())

    assert (caught.value.retryable, caught.value.reason) == (False, "auth")
    assert fake.requests[0].headers["x-goog-api-key"] == "g-wrong"
    assert len(fake.requests) == 1


def test_it_refuses_a_bad_request_without_retrying(fake):
    fake.reply("generate", error(400, "Unsupported aspect ratio: 7:5"))

    with pytest.raises(ProviderError) as caught:
        GeminiImageProvider().generate(storyboard(aspect_ratio="7:5"))

    assert (caught.value.retryable, caught.value.reason) == (False, "invalid_request")
    assert "7:5" in str(caught.value)
    assert len(fake.requests) == 1


@pytest.mark.parametrize("provider_class", [GeminiImageProvider, GeminiOmniVideoProvider])
def test_it_says_a_configured_model_is_available(fake, provider_class):
    provider = provider_class()

    state = provider.lifecycle()

    assert (state.provider, state.model, state.state) == ("gemini", provider.model, "available")
    assert [r.path for r in fake.requests] == [f"/v1beta/models/{provider.model}"]
    assert fake.requests[0].headers["x-goog-api-key"] == "g-test"


@pytest.mark.parametrize(
    ("setting", "provider_class"),
    [
        ("GEMINI_IMAGE_MODEL", GeminiImageProvider),
        ("GEMINI_VIDEO_MODEL", GeminiOmniVideoProvider),
    ],
)
def test_it_says_an_unknown_model_is_unknown(fake, settings, setting, provider_class):
    setattr(settings, setting, "gemini-9-imaginary")

    state = provider_class().lifecycle()

    assert (state.model, state.state) == ("gemini-9-imaginary", "unknown")
    assert "gemini-9-imaginary" in state.detail


def test_it_reports_a_lifecycle_it_could_not_check_without_raising(fake, settings):
    fake.reply("model", error(503, "Service unavailable"))

    state = GeminiImageProvider().lifecycle()

    assert state.state == "unchecked"
    assert "503" in state.detail


# ---------------------------------------------------------------- video: submit
def test_it_submits_a_background_render_with_the_reference_image(fake):
    provider = GeminiOmniVideoProvider()

    handle = provider.submit(clip())

    [sent] = fake.requests
    assert (sent.method, sent.path) == ("POST", "/v1beta/interactions")
    assert sent.headers["x-goog-api-key"] == "g-test"
    body = sent.json
    assert body["model"] == VIDEO_MODEL
    assert body["background"] is True
    # The SDK wraps a list of content blocks into one user_input step.
    [turn] = body["input"]
    assert turn["type"] == "user_input"
    image, text = turn["content"]
    assert image["type"] == "image"
    assert image["mime_type"] == "image/png"
    assert base64.b64decode(image["data"]) == DRAWN
    assert text == {"type": "text", "text": "Mei walks out of the kitchen into the rain"}
    response_format = body["response_format"]
    assert response_format["type"] == "video"
    assert response_format["aspect_ratio"] == "9:16"
    assert response_format["duration"] == "8s"
    assert response_format["resolution"] == "720p"
    assert handle["provider"] == "gemini"
    assert handle["model"] == VIDEO_MODEL
    assert handle["id"] in fake.interactions
    assert handle["duration_seconds"] == 8
    [call] = provider.calls
    assert (call.operation, call.attempts, call.error) == ("video_submit", 1, "")


def test_it_submits_a_text_only_render_when_there_is_no_reference(fake):
    GeminiOmniVideoProvider().submit(clip(reference=None, aspect_ratio="16:9", resolution="4k"))

    body = fake.requests[0].json
    assert body["input"][0]["content"] == [
        {"type": "text", "text": "Mei walks out of the kitchen into the rain"}
    ]
    assert body["response_format"]["aspect_ratio"] == "16:9"
    assert body["response_format"]["resolution"] == "4k"


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (error(503, "The service is currently unavailable."), "server_error"),
        (error(500, "Internal error encountered."), "server_error"),
    ],
)
def test_it_submits_exactly_once_when_the_service_fails(fake, waits, failure, reason):
    fake.reply("create", failure)
    provider = GeminiOmniVideoProvider()

    with pytest.raises(ProviderError) as caught:
        provider.submit(clip())

    # One submit on the wire, whatever the SDK's own retry defaults: never two renders billed.
    assert len(fake.requests_to("create")) == 1
    assert caught.value.retryable is True
    assert caught.value.reason == reason
    assert caught.value.outcome_unknown is False  # the service answered: nothing was made
    assert waits == []
    assert provider.calls[0].attempts == 1


def test_it_submits_exactly_once_when_rate_limited_and_keeps_the_advice(fake, waits):
    fake.reply("create", error(429, "Quota exceeded.", headers={"Retry-After": "30"}))

    with pytest.raises(ProviderError) as caught:
        GeminiOmniVideoProvider().submit(clip())

    assert len(fake.requests_to("create")) == 1
    assert (caught.value.retryable, caught.value.reason) == (True, "rate_limited")
    assert caught.value.retry_after == 30.0
    assert waits == []


@pytest.mark.parametrize("fault", ["stall", "drop"])
def test_it_says_a_submit_that_was_sent_but_not_answered_has_an_unknown_outcome(
    fake, settings, waits, fault
):
    settings.PROVIDER_TIMEOUT = 0.3
    fake.submit_fault = fault

    with pytest.raises(ProviderError) as caught:
        GeminiOmniVideoProvider().submit(clip())

    # The service took the render and may bill it: exactly one submit, whatever the SDK's
    # own retry defaults.
    assert fake.submits_received == 1
    assert len(fake.interactions) == 1
    error = caught.value
    assert (error.outcome_unknown, error.reason, error.retryable) == (True, "submit_unknown", True)
    assert "outcome of the Gemini video submit is unknown" in str(error)
    assert "bill a second" in str(error)
    assert waits == []


def test_it_says_a_submit_refused_before_sending_did_not_happen(fake):
    fake.stop()  # the port is closed: the connection is refused, nothing was sent

    with pytest.raises(ProviderError) as caught:
        GeminiOmniVideoProvider().submit(clip())

    assert (caught.value.outcome_unknown, caught.value.reason) == (False, "connection")


def test_it_refuses_a_submit_the_service_blocks(fake):
    fake.reply("create", error(400, "The prompt was blocked by the safety policy."))

    with pytest.raises(ProviderError) as caught:
        GeminiOmniVideoProvider().submit(clip())

    assert (caught.value.retryable, caught.value.reason) == (False, "safety")
    assert "safety policy" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"duration_seconds": 30}, "duration 30"),
        ({"duration_seconds": 2}, "duration 2"),
        ({"aspect_ratio": "4:3"}, "'4:3'"),
        ({"resolution": "8k"}, "'8k'"),
    ],
)
def test_it_refuses_an_impossible_video_before_sending_anything(fake, change, named):
    provider = GeminiOmniVideoProvider()

    with pytest.raises(ProviderError) as caught:
        provider.submit(clip(**change))

    assert (caught.value.retryable, caught.value.reason) == (False, "invalid_request")
    assert named in str(caught.value)
    assert fake.requests == []


# ---------------------------------------------------------------- video: poll and download
def _completed_with_data(interaction_id: str) -> Reply:
    return Reply(body=interaction(interaction_id, "completed", video_data=MP4_BYTES))


def test_it_polls_a_stored_handle_from_a_fresh_provider_until_the_video_is_ready(fake):
    handle = GeminiOmniVideoProvider().submit(clip())
    stored = json.loads(json.dumps(handle))  # as the job keeps it between polls
    render = stored["id"]
    fake.reply(
        "get",
        Reply(body=interaction(render, "queued")),
        Reply(body=interaction(render, "in_progress")),
        _completed_with_data(render),
    )

    later = GeminiOmniVideoProvider()  # another worker process, another day
    states = [later.poll(stored).state for _ in range(3)]

    assert states == ["queued", "running", "completed"]
    polls = fake.requests_to("get")
    assert [r.path for r in polls] == [f"/v1beta/interactions/{render}"] * 3
    assert all(r.headers["x-goog-api-key"] == "g-test" for r in polls)


def test_it_downloads_a_video_sent_inline(fake):
    handle = GeminiOmniVideoProvider().submit(clip())
    fake.reply("get", _completed_with_data(handle["id"]))
    provider = GeminiOmniVideoProvider()

    video = provider.download(json.loads(json.dumps(handle)))

    assert video.data == MP4_BYTES
    assert video.content_type == "video/mp4"
    assert video.duration_seconds == 8
    assert video.model == VIDEO_MODEL
    [call] = provider.calls
    assert call.operation == "video_download"
    assert call.usage.video_seconds == 8
    assert call.cost_usd == pytest.approx(0.80)


def test_it_downloads_a_video_by_uri_through_the_files_api(fake):
    handle = GeminiOmniVideoProvider().submit(clip())
    fake.files["vid4k9x2"] = MP4_BYTES
    uri = "https://generativelanguage.googleapis.com/v1beta/files/vid4k9x2"
    fake.reply("get", Reply(body=interaction(handle["id"], "completed", video_uri=uri)))

    video = GeminiOmniVideoProvider().download(handle)

    assert video.data == MP4_BYTES
    [fetched] = fake.requests_to("download")
    assert fetched.path == "/v1beta/files/vid4k9x2:download"
    assert fetched.query == {"alt": ["media"]}
    assert fetched.headers["x-goog-api-key"] == "g-test"


def test_it_falls_back_to_an_authenticated_get_of_a_uri_the_sdk_cannot_name(fake, settings):
    handle = GeminiOmniVideoProvider().submit(clip())
    fake.files["clip-7.mp4"] = MP4_BYTES
    uri = f"{settings.GEMINI_API_BASE}/media/clip-7.mp4"
    fake.reply("get", Reply(body=interaction(handle["id"], "completed", video_uri=uri)))

    video = GeminiOmniVideoProvider().download(handle)

    assert video.data == MP4_BYTES
    [fetched] = fake.requests_to("media")
    assert fetched.headers["x-goog-api-key"] == "g-test"
    # Without alt=media a file URI answers with the file's metadata, not its bytes.
    assert fetched.query == {"alt": ["media"]}


def test_it_refuses_to_take_a_fallback_answer_that_is_not_a_video(fake, settings):
    handle = GeminiOmniVideoProvider().submit(clip())
    fake.files["clip-9.mp4"] = MP4_BYTES
    uri = f"{settings.GEMINI_API_BASE}/media/clip-9.mp4"
    fake.reply("get", Reply(body=interaction(handle["id"], "completed", video_uri=uri)))
    fake.reply("media", Reply(body=file_metadata("clip-9.mp4", len(MP4_BYTES))))

    with pytest.raises(ProviderError) as caught:
        GeminiOmniVideoProvider().download(handle)

    assert (caught.value.retryable, caught.value.reason) == (False, "malformed_answer")
    assert "application/json, not a video" in str(caught.value)
    assert len(fake.requests_to("media")) == 1


def test_it_does_not_carry_the_key_across_a_redirect(fake, settings):
    handle = GeminiOmniVideoProvider().submit(clip())
    fake.files["signed.mp4"] = MP4_BYTES
    uri = f"{settings.GEMINI_API_BASE}/media/clip-8.mp4"
    fake.reply("get", Reply(body=interaction(handle["id"], "completed", video_uri=uri)))
    signed = "/media/signed.mp4?alt=media&signature=c2lnbmVk"
    fake.reply("media", Reply(status=302, headers={"Location": signed}))

    video = GeminiOmniVideoProvider().download(handle)

    assert video.data == MP4_BYTES
    first, redirected = fake.requests_to("media")
    assert first.headers["x-goog-api-key"] == "g-test"
    # The signed link is followed as it was given.
    assert redirected.path == "/media/signed.mp4"
    assert redirected.query == {"alt": ["media"], "signature": ["c2lnbmVk"]}
    assert "x-goog-api-key" not in redirected.headers


def test_it_reports_a_render_that_failed_on_the_service(fake):
    handle = GeminiOmniVideoProvider().submit(clip())
    failed = interaction(
        handle["id"],
        "failed",
        errors=[{"code": "content_policy", "message": "The output violated the usage policy."}],
    )
    fake.reply("get", Reply(body=failed))

    status = GeminiOmniVideoProvider().poll(handle)

    assert status.state == "failed"
    assert "The output violated the usage policy." in status.error
    assert status.retryable is False


def test_it_marks_a_render_failed_by_an_outage_as_worth_another_try(fake):
    handle = GeminiOmniVideoProvider().submit(clip())
    failed = interaction(
        handle["id"], "failed", errors=[{"code": "unavailable", "message": "Backend unavailable."}]
    )
    fake.reply("get", Reply(body=failed))

    status = GeminiOmniVideoProvider().poll(handle)

    assert (status.state, status.retryable) == ("failed", True)
    assert "Backend unavailable." in status.error


def test_it_treats_completed_without_a_video_as_a_permanent_failure(fake):
    handle = GeminiOmniVideoProvider().submit(clip())
    empty = interaction(handle["id"], "completed", text="I cannot make this video.")
    fake.reply("get", Reply(body=empty), Reply(body=empty))
    provider = GeminiOmniVideoProvider()

    status = provider.poll(handle)
    with pytest.raises(ProviderError) as caught:
        provider.download(handle)

    assert (status.state, status.retryable) == ("failed", False)
    assert "completed without a video" in status.error
    assert "I cannot make this video." in status.error
    assert (caught.value.retryable, caught.value.reason) == (False, "no_video")


@pytest.mark.parametrize("ended", ["cancelled", "incomplete", "budget_exceeded"])
def test_it_reports_a_render_that_ended_without_finishing_as_failed(fake, ended):
    handle = GeminiOmniVideoProvider().submit(clip())
    fake.reply("get", Reply(body=interaction(handle["id"], ended)))

    status = GeminiOmniVideoProvider().poll(handle)

    assert (status.state, status.retryable) == ("failed", False)
    assert ended in status.error


def test_it_retries_a_poll_that_meets_a_server_error(fake, waits):
    handle = GeminiOmniVideoProvider().submit(clip())
    fake.reply("get", error(503, "Try again."), Reply(body=interaction(handle["id"], "queued")))

    status = GeminiOmniVideoProvider().poll(handle)

    assert status.state == "queued"
    assert len(fake.requests_to("get")) == 2
    assert len(waits) == 1


def test_it_says_a_render_the_service_does_not_know_is_gone(fake):
    handle = {"provider": "gemini", "model": VIDEO_MODEL, "id": "v1_lost", "duration_seconds": 8}

    with pytest.raises(ProviderError) as caught:
        GeminiOmniVideoProvider().poll(handle)

    assert (caught.value.retryable, caught.value.reason) == (False, "not_found")
    assert "v1_lost" in str(caught.value)


# ---------------------------------------------------------------- video: cancel and find
def test_it_cancels_a_render_in_flight(fake):
    handle = GeminiOmniVideoProvider().submit(clip())
    provider = GeminiOmniVideoProvider()

    assert provider.cancel(json.loads(json.dumps(handle))) is True

    [sent] = fake.requests_to("cancel")
    assert (sent.method, sent.path) == ("POST", f"/v1beta/interactions/{handle['id']}/cancel")
    assert sent.headers["x-goog-api-key"] == "g-test"
    assert fake.interactions[handle["id"]]["status"] == "cancelled"
    status = provider.poll(handle)
    assert (status.state, status.retryable) == ("failed", False)
    assert "cancelled" in status.error
    assert provider.calls[0].operation == "video_cancel"


def test_it_says_a_render_that_already_finished_cannot_be_cancelled(fake):
    handle = GeminiOmniVideoProvider().submit(clip())
    fake.interactions[handle["id"]]["status"] = "completed"

    with pytest.raises(ProviderError) as caught:
        GeminiOmniVideoProvider().cancel(handle)

    assert (caught.value.retryable, caught.value.reason) == (False, "not_cancellable")
    assert "completed" in str(caught.value)


def test_it_says_a_render_it_cannot_find_to_cancel_is_gone(fake):
    handle = {"provider": "gemini", "model": VIDEO_MODEL, "id": "v1_lost", "duration_seconds": 8}

    with pytest.raises(ProviderError) as caught:
        GeminiOmniVideoProvider().cancel(handle)

    assert (caught.value.retryable, caught.value.reason) == (False, "not_found")


def test_it_retries_a_cancel_that_meets_a_server_error(fake, waits):
    handle = GeminiOmniVideoProvider().submit(clip())
    fake.reply("cancel", error(503, "Try again."))

    assert GeminiOmniVideoProvider().cancel(handle) is True
    assert len(fake.requests_to("cancel")) == 2
    assert len(waits) == 1


def test_it_cannot_find_a_render_without_its_id(fake, settings):
    # The Interactions API cannot list interactions: a lost submit cannot be looked up.
    settings.PROVIDER_TIMEOUT = 0.3
    fake.submit_fault = "stall"
    with pytest.raises(ProviderError):
        GeminiOmniVideoProvider().submit(clip())
    sent = len(fake.requests)

    assert GeminiOmniVideoProvider().find(clip(), since=0) is None
    assert len(fake.requests) == sent


def test_it_refuses_a_handle_of_another_provider_without_calling_anyone(fake):
    with pytest.raises(ProviderError) as caught:
        GeminiOmniVideoProvider().poll({"provider": "gateway", "id": "video_123"})

    assert caught.value.reason == "invalid_request"
    assert fake.requests == []
