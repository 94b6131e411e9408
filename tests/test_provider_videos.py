"""Contract tests of the video gateway adapter: the real openai SDK against a local fake gateway.

The fake (tests/fakes/videos_server.py) speaks the `/v1/videos` protocol; the tests assert on
what it received (auth, multipart fields, the reference image's bytes and size) and on what
the adapter makes of each answer.
"""

from __future__ import annotations

import io
import json
import time

import pytest
from PIL import Image

from generation.providers import retry
from generation.providers.base import ProviderError, ReferenceImage, VideoRequest
from generation.providers.videos import GatewayVideoProvider
from tests.fakes.videos_server import API_KEY, MP4_BYTES, Reply, VideosFake, error, model_object

# The SDK marks its videos resource deprecated (Sora is gone); the gateways keep the protocol.
pytestmark = pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")


@pytest.fixture
def fake():
    with VideosFake() as server:
        yield server


@pytest.fixture
def gateway(settings, fake) -> GatewayVideoProvider:
    settings.SORA_API_BASE = fake.base_url
    settings.SORA_API_KEY = API_KEY
    settings.SORA_MODEL = "sora-2"
    settings.MAX_RETRIES = 2
    settings.PROVIDER_TIMEOUT = 10
    settings.PROVIDER_MAX_WAIT = 60
    settings.PRICES_JSON = ""
    return GatewayVideoProvider()


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list[float]:
    """The retry loop's sleeps, recorded instead of slept.

    `call_with_retries` binds `time.sleep` as a default argument, so patching `time.sleep`
    would not reach it: the default itself is replaced.
    """
    recorded: list[float] = []
    monkeypatch.setitem(retry.call_with_retries.__kwdefaults__, "sleep", recorded.append)
    return recorded


def image_bytes(width: int, height: int, *, fmt: str = "PNG", color=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt)
    return out.getvalue()


def request(**changes) -> VideoRequest:
    values = {
        "prompt": "A chef slams the kitchen door at night.",
        "duration_seconds": 8,
        "aspect_ratio": "9:16",
        "resolution": "720p",
        "reference": ReferenceImage(image_bytes(300, 500)),
    }
    return VideoRequest(**{**values, **changes})


# ---------------------------------------------------------------- submit
def test_it_submits_one_multipart_request_with_the_reference_fitted_to_the_size(gateway, fake):
    handle = gateway.submit(request())

    assert handle == {
        "provider": "gateway",
        "model": "sora-2",
        "id": "video_0001",
        "seconds": 8,
        "size": "720x1280",
    }
    [sent] = fake.requests_to("create")
    assert len(fake.requests) == 1
    assert sent.headers["authorization"] == "Bearer gw-test"
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert sent.fields == {
        "prompt": "A chef slams the kitchen door at night.",
        "model": "sora-2",
        "seconds": "8",
        "size": "720x1280",
    }
    upload = sent.files["input_reference"]
    assert upload.content_type == "image/png"
    with Image.open(io.BytesIO(upload.data)) as image:
        assert (image.format, image.size) == ("PNG", (720, 1280))


def test_it_sends_a_jpeg_reference_as_a_jpeg_of_the_size(gateway, fake):
    reference = ReferenceImage(image_bytes(640, 480, fmt="JPEG"), mime_type="image/jpeg")

    gateway.submit(request(reference=reference))

    upload = fake.requests_to("create")[0].files["input_reference"]
    assert upload.content_type == "image/jpeg"
    with Image.open(io.BytesIO(upload.data)) as image:
        assert (image.format, image.size) == ("JPEG", (720, 1280))


def test_it_crops_the_reference_to_fill_rather_than_stretching_it(gateway, fake):
    # Red edges around a green middle wider than a 9:16 slice: a crop keeps only green.
    picture = Image.new("RGB", (1280, 720), (255, 0, 0))
    picture.paste((0, 255, 0), (340, 0, 940, 720))
    out = io.BytesIO()
    picture.save(out, "PNG")

    gateway.submit(request(reference=ReferenceImage(out.getvalue())))

    upload = fake.requests_to("create")[0].files["input_reference"]
    with Image.open(io.BytesIO(upload.data)) as image:
        assert image.size == (720, 1280)
        assert image.convert("RGB").getpixel((2, 640)) == (0, 255, 0)
        assert image.convert("RGB").getpixel((717, 640)) == (0, 255, 0)


def test_it_submits_without_a_file_part_when_there_is_no_reference(gateway, fake):
    gateway.submit(request(reference=None))

    [sent] = fake.requests_to("create")
    assert sent.files == {}
    assert sent.fields["size"] == "720x1280"


@pytest.mark.parametrize(
    ("model", "duration", "aspect", "resolution", "seconds", "size"),
    [
        ("sora-2", 10, "9:16", "720p", "12", "720x1280"),
        ("sora-2", 4, "9:16", "720p", "4", "720x1280"),
        ("sora-2", 1, "9:16", "720p", "4", "720x1280"),
        ("sora-2", 15, "16:9", "720p", "12", "1280x720"),
        ("sora-2", 8, "9:16", "1080p", "8", "720x1280"),
        ("sora-2-pro", 8, "9:16", "1080p", "8", "1024x1792"),
        ("sora-2-2025-10-06", 5, "9:16", "720p", "8", "720x1280"),
        ("seedance-1-pro", 5, "9:16", "720p", "5", "720x1280"),
        ("seedance-1-pro", 6, "4:3", "720p", "6", "960x720"),
    ],
)
def test_it_maps_the_request_to_what_the_model_renders(
    settings, gateway, fake, model, duration, aspect, resolution, seconds, size
):
    provider = GatewayVideoProvider(model=model)

    handle = provider.submit(
        request(duration_seconds=duration, aspect_ratio=aspect, resolution=resolution)
    )

    [sent] = fake.requests_to("create")
    assert (sent.fields["model"], sent.fields["seconds"], sent.fields["size"]) == (
        model,
        seconds,
        size,
    )
    assert (handle["seconds"], handle["size"]) == (int(seconds), size)
    with Image.open(io.BytesIO(sent.files["input_reference"].data)) as image:
        assert f"{image.width}x{image.height}" == size


@pytest.mark.parametrize(
    ("model", "changes", "words"),
    [
        ("sora-2", {"aspect_ratio": "4:3"}, "aspect ratio 4:3"),
        ("sora-2", {"aspect_ratio": "1:1"}, "720x1280, 1280x720"),
        ("sora-2", {"duration_seconds": 30}, "30 s"),
        ("seedance-1-pro", {"duration_seconds": 60}, "at most 15 s"),
        ("sora-2", {"duration_seconds": -2}, "-2 s"),
        ("sora-2", {"aspect_ratio": "wide"}, "'wide'"),
        ("sora-2", {"resolution": "HD"}, "'HD'"),
        ("sora-2", {"reference": ReferenceImage(b"not an image")}, "reference image"),
    ],
)
def test_it_refuses_an_impossible_request_before_any_call(gateway, fake, model, changes, words):
    provider = GatewayVideoProvider(model=model)

    with pytest.raises(ProviderError) as caught:
        provider.submit(request(**changes))

    assert caught.value.retryable is False
    assert caught.value.reason == "invalid_request"
    assert words in str(caught.value)
    assert fake.requests == []


# ---------------------------------------------------------------- poll and download
def test_it_follows_a_render_from_queued_to_completed(gateway, fake):
    fake.poll_after_ms = 2500
    handle = gateway.submit(request())

    states = [gateway.poll(handle) for _ in range(3)]

    assert [(s.state, s.progress, s.poll_after) for s in states] == [
        ("queued", 0.0, 2.5),
        ("running", 0.45, 2.5),
        ("completed", 1.0, None),
    ]
    assert [r.path for r in fake.requests_to("retrieve")] == ["/v1/videos/video_0001"] * 3


def test_it_downloads_the_video_bytes_as_mp4(gateway, fake):
    handle = gateway.submit(request())
    for _ in range(3):
        gateway.poll(handle)

    result = gateway.download(handle)

    assert result.data == MP4_BYTES
    assert result.content_type == "video/mp4"
    assert result.model == "sora-2"
    assert result.duration_seconds == 8
    [sent] = fake.requests_to("content")
    assert sent.path == "/v1/videos/video_0001/content"
    assert sent.query == {"variant": ["video"]}
    assert sent.headers["authorization"] == "Bearer gw-test"


def test_it_calls_a_download_sent_as_octet_stream_mp4(gateway, fake):
    fake.content_type = "application/octet-stream"
    fake.steps = [{"status": "completed", "progress": 100}]
    handle = gateway.submit(request())
    gateway.poll(handle)

    assert gateway.download(handle).content_type == "video/mp4"


def test_it_polls_and_downloads_a_handle_stored_as_json_from_another_provider(gateway, fake):
    stored = json.dumps(gateway.submit(request(duration_seconds=10)))

    later = GatewayVideoProvider()
    handle = json.loads(stored)
    states = [later.poll(handle).state for _ in range(3)]
    result = later.download(handle)

    assert states == ["queued", "running", "completed"]
    assert (result.data, result.duration_seconds) == (MP4_BYTES, 12)


@pytest.mark.parametrize(
    ("code", "retryable"),
    [("moderation_blocked", False), ("internal_error", True)],
)
def test_it_reports_a_render_the_service_failed_with_its_message(gateway, fake, code, retryable):
    fake.steps = [
        {"status": "queued", "progress": 0},
        {
            "status": "failed",
            "progress": 30,
            "error": {"code": code, "message": "The render could not be completed."},
        },
    ]
    handle = gateway.submit(request())

    first, second = gateway.poll(handle), gateway.poll(handle)

    assert first.state == "queued"
    assert second.state == "failed"
    assert "The render could not be completed." in second.error
    assert code in second.error
    assert second.retryable is retryable


def test_it_reports_a_failure_without_an_error_object(gateway, fake):
    fake.steps = [{"status": "failed", "progress": 0}]
    handle = gateway.submit(request())

    status = gateway.poll(handle)

    assert (status.state, status.retryable) == ("failed", False)
    assert "without a reason" in status.error


def test_it_refuses_a_handle_of_another_provider(gateway, fake):
    with pytest.raises(ProviderError) as caught:
        gateway.poll({"provider": "gemini", "model": "gemini-omni-1.2-flash", "id": "v1_x"})

    assert caught.value.reason == "invalid_request"
    assert fake.requests == []


# ---------------------------------------------------------------- failures and retries
def test_it_sends_a_failed_submit_only_once(gateway, fake, waits):
    fake.reply("create", error(500, "The server had an error while processing your request."))

    with pytest.raises(ProviderError) as caught:
        gateway.submit(request())

    # Never two renders billed for one node: the job decides whether to submit again.
    assert len(fake.requests_to("create")) == 1
    assert caught.value.retryable is True
    assert "The server had an error" in str(caught.value)
    assert waits == []
    assert (gateway.calls[-1].operation, gateway.calls[-1].attempts) == ("submit", 1)


@pytest.mark.parametrize("fault", ["stall", "drop"])
def test_it_says_a_submit_that_was_sent_but_not_answered_has_an_unknown_outcome(
    settings, gateway, fake, fault
):
    settings.PROVIDER_TIMEOUT = 0.5
    fake.submit_fault = fault

    with pytest.raises(ProviderError) as caught:
        GatewayVideoProvider().submit(request())

    # The gateway accepted it and may bill it: never a second submit from here.
    assert fake.submits_received == 1
    assert list(fake.videos) == ["video_0001"]
    error = caught.value
    assert (error.outcome_unknown, error.reason, error.retryable) == (True, "submit_unknown", True)
    assert "outcome of the video gateway submit is unknown" in str(error)
    assert "bill a second" in str(error)


def test_it_says_a_submit_refused_before_sending_did_not_happen(settings, gateway, fake):
    fake.stop()  # the port is closed: the connection is refused, nothing was sent

    with pytest.raises(ProviderError) as caught:
        GatewayVideoProvider().submit(request())

    assert (caught.value.outcome_unknown, caught.value.reason) == (False, "connection")
    assert caught.value.retryable is True


def test_it_knows_the_outcome_of_a_submit_the_gateway_answered(gateway, fake):
    fake.reply("create", error(503, "Service unavailable."))

    with pytest.raises(ProviderError) as caught:
        gateway.submit(request())

    assert (caught.value.outcome_unknown, caught.value.reason) == (False, "server_error")


# ---------------------------------------------------------------- find and cancel
def test_it_finds_the_render_of_a_submit_whose_answer_was_lost(settings, gateway, fake):
    settings.PROVIDER_TIMEOUT = 0.5
    fake.submit_fault = "stall"
    since = time.time()
    with pytest.raises(ProviderError):
        GatewayVideoProvider().submit(request())
    fake.submit_fault = None

    later = GatewayVideoProvider()
    found = later.find(request(), since=since)

    assert found == {
        "provider": "gateway",
        "model": "sora-2",
        "id": "video_0001",
        "seconds": 8,
        "size": "720x1280",
    }
    assert fake.submits_received == 1
    [listed] = fake.requests_to("list")
    assert listed.query["order"] == ["desc"]
    assert listed.headers["authorization"] == "Bearer gw-test"
    assert [later.poll(found).state for _ in range(3)] == ["queued", "running", "completed"]
    assert later.download(found).data == MP4_BYTES
    assert later.calls[0].operation == "find"


def test_it_finds_only_a_render_of_the_same_request(gateway, fake):
    since = time.time()
    gateway.submit(request(prompt="Another scene entirely."))
    gateway.submit(request(duration_seconds=4))
    gateway.submit(request(aspect_ratio="16:9"))
    GatewayVideoProvider(model="sora-2-pro").submit(request())
    wanted = gateway.submit(request())
    gateway.submit(request(prompt="A later scene."))

    assert gateway.find(request(), since=since)["id"] == wanted["id"]
    assert gateway.find(request(prompt="Never submitted."), since=since) is None


def test_it_does_not_find_a_render_submitted_before_the_time_given(gateway, fake):
    old = gateway.submit(request())
    fake.videos[old["id"]]["created_at"] -= 3600

    assert gateway.find(request(), since=time.time() - 60) is None
    assert gateway.find(request(), since=time.time() - 7200) == old


def test_it_pages_through_the_renders_to_find_one(monkeypatch, gateway, fake):
    monkeypatch.setattr("generation.providers.videos.FIND_PAGE", 2)
    since = time.time()
    wanted = gateway.submit(request())
    for n in range(5):
        gateway.submit(request(prompt=f"Scene {n}."))

    assert gateway.find(request(), since=since) == wanted
    pages = fake.requests_to("list")
    assert [page.query.get("after") for page in pages] == [
        None,
        ["video_0005"],
        ["video_0003"],
    ]


@pytest.mark.parametrize("status", [404, 405])
def test_it_finds_nothing_on_a_gateway_that_cannot_list_renders(gateway, fake, status):
    gateway.submit(request())
    fake.reply("list", error(status, "Invalid URL (GET /v1/videos)"))

    assert gateway.find(request(), since=0) is None


def test_it_says_when_looking_for_a_render_failed(gateway, fake, waits):
    fake.reply("list", *[error(503, "Service unavailable.")] * 3)

    with pytest.raises(ProviderError) as caught:
        gateway.find(request(), since=0)

    assert (caught.value.retryable, caught.value.reason) == (True, "server_error")


def test_it_cannot_cancel_a_render_and_says_so_without_a_call(gateway, fake):
    handle = gateway.submit(request())

    assert gateway.cancel(handle) is False
    # DELETE /videos/{id} removes only finished videos: it is not sent as a cancel.
    assert [r.method for r in fake.requests] == ["POST"]


def test_it_waits_as_told_after_a_429_on_poll_then_succeeds(gateway, fake, waits):
    handle = gateway.submit(request())
    fake.reply(
        "retrieve",
        error(429, "Rate limit reached.", code="rate_limit_exceeded", headers={"Retry-After": "7"}),
    )

    status = gateway.poll(handle)

    assert status.state == "queued"
    assert waits == [7.0]
    assert len(fake.requests_to("retrieve")) == 2
    assert (gateway.calls[-1].operation, gateway.calls[-1].attempts) == ("poll", 2)


def test_it_gives_up_on_a_hung_poll_as_retryable(settings, gateway, fake):
    handle = gateway.submit(request())
    settings.PROVIDER_TIMEOUT = 1
    fake.reply("retrieve", Reply(delay=5), Reply(delay=5), Reply(delay=5))

    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        GatewayVideoProvider().poll(handle)

    assert (caught.value.retryable, caught.value.reason) == (True, "timeout")
    assert len(fake.requests_to("retrieve")) == 3
    assert time.monotonic() - started < 4.5


def test_it_gives_up_on_a_download_after_5xx_until_retries_run_out(gateway, fake, waits):
    fake.steps = [{"status": "completed", "progress": 100}]
    handle = gateway.submit(request())
    fake.reply("content", *[error(503, "Service unavailable.")] * 3)

    with pytest.raises(ProviderError) as caught:
        gateway.download(handle)

    assert caught.value.retryable is True
    assert "HTTP 503" in str(caught.value)
    assert len(fake.requests_to("content")) == 3
    assert len(waits) == 2
    assert (gateway.calls[-1].attempts, gateway.calls[-1].cost_usd) == (3, None)


def test_it_names_an_unknown_model_on_submit(settings, fake, gateway):
    fake.known_models = ("sora-2",)

    with pytest.raises(ProviderError) as caught:
        GatewayVideoProvider(model="wan-9-turbo").submit(request())

    assert caught.value.retryable is False
    assert caught.value.reason == "model_unavailable"
    assert "wan-9-turbo" in str(caught.value)
    assert len(fake.requests_to("create")) == 1


def test_it_fails_for_good_on_a_wrong_key(settings, gateway, fake):
    settings.SORA_API_KEY = "gw-wrong"

    with pytest.raises(ProviderError) as caught:
        GatewayVideoProvider().submit(request())

    assert (caught.value.retryable, caught.value.reason) == (False, "auth")
    assert fake.requests_to("create")[0].headers["authorization"] == "Bearer gw-wrong"


def test_it_refuses_to_run_without_a_gateway_url(settings, gateway, fake):
    # Without one the SDK would send the key to api.openai.com.
    settings.SORA_API_BASE = ""

    with pytest.raises(ProviderError) as caught:
        GatewayVideoProvider().submit(request())

    assert (caught.value.retryable, caught.value.reason) == (False, "not_configured")
    assert fake.requests == []


# ---------------------------------------------------------------- accounting
def test_it_records_each_call_with_usage_and_cost(gateway, fake):
    handle = gateway.submit(request(duration_seconds=8))
    for _ in range(3):
        gateway.poll(handle)
    gateway.download(handle)

    assert [c.operation for c in gateway.calls] == ["submit", "poll", "poll", "poll", "download"]
    assert {(c.provider, c.model, c.attempts, c.error) for c in gateway.calls} == {
        ("gateway", "sora-2", 1, "")
    }
    download = gateway.calls[-1]
    assert download.usage.video_seconds == 8
    assert download.cost_usd == pytest.approx(0.80)  # sora-2 at $0.10 a second
    assert sum(c.cost_usd or 0 for c in gateway.calls) == pytest.approx(0.80)


@pytest.mark.parametrize(("size", "cost"), [("1024x1792", 4.0), ("720x1280", 2.4)])
def test_it_prices_a_render_at_the_size_it_was_made(settings, fake, gateway, size, cost):
    fake.steps = [{"status": "completed", "progress": 100}]
    provider = GatewayVideoProvider(model="sora-2-pro")
    resolution = "1080p" if size == "1024x1792" else "720p"
    handle = provider.submit(request(duration_seconds=8, resolution=resolution))
    provider.poll(handle)

    provider.download(handle)

    assert fake.requests_to("create")[0].fields["size"] == size
    assert provider.calls[-1].cost_usd == pytest.approx(cost)


# ---------------------------------------------------------------- model lifecycle
@pytest.mark.parametrize(
    ("served", "state", "shutdown_date"),
    [
        (model_object("sora-2"), "available", None),
        (model_object("sora-2", shutdown_date="2099-01-31"), "retiring", "2099-01-31"),
        (model_object("sora-2", shutdown_date="2026-09-24"), "retired", "2026-09-24"),
        # Some gateways send the date as Unix seconds.
        (model_object("sora-2", shutdown_date=4_070_908_800), "retiring", "2099-01-01"),
        (model_object("sora-2", shutdown_date=1_790_208_000), "retired", "2026-09-24"),
        (None, "unknown", None),
    ],
)
def test_it_reports_the_model_lifecycle(gateway, fake, served, state, shutdown_date):
    if served is not None:
        fake.models["sora-2"] = served

    lifecycle = gateway.lifecycle()

    assert (lifecycle.provider, lifecycle.model) == ("gateway", "sora-2")
    assert (lifecycle.state, lifecycle.shutdown_date) == (state, shutdown_date)
    assert [r.path for r in fake.requests] == ["/v1/models/sora-2"]


def test_it_leaves_the_model_unchecked_on_a_gateway_without_the_models_route(gateway, fake):
    fake.serves_models = False

    lifecycle = gateway.lifecycle()

    assert lifecycle.state == "unchecked"
    assert "does not answer GET /models/{id}" in lifecycle.detail
    assert "HTTP 404" in lifecycle.detail


def test_it_leaves_the_model_unchecked_when_the_models_route_is_not_allowed(gateway, fake):
    fake.reply("model", error(405, "Method Not Allowed"))

    assert gateway.lifecycle().state == "unchecked"


def test_it_reports_an_unchecked_lifecycle_when_the_gateway_fails(gateway, fake):
    fake.reply("model", error(502, "Bad gateway."))

    lifecycle = gateway.lifecycle()

    assert lifecycle.state == "unchecked"
    assert "HTTP 502" in lifecycle.detail
