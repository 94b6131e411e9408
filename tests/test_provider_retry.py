"""The one retry loop and the one price table that every provider call goes through."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from dramas.models import Drama
from generation.models import Job
from generation.providers import pricing
from generation.providers.base import ProviderError, Usage
from generation.providers.retry import backoff, call_with_retries, retry_after_from_headers
from generation.script_jobs import script_critique_job
from generation.services import job_create


class Flaky:
    """Fails with the given errors in turn, then answers."""

    def __init__(self, *errors: Exception, answer: str = "ok"):
        self.errors, self.answer, self.tries = list(errors), answer, 0

    def __call__(self) -> str:
        self.tries += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.answer


def run(call, calls, waits, **kwargs):
    return call_with_retries(
        call,
        provider="test",
        model=kwargs.pop("model", "gpt-6.1-sol"),
        operation="script",
        calls=calls,
        classify=lambda exc: ProviderError(str(exc), retryable=True, reason="server_error"),
        sleep=waits.append,
        **kwargs,
    )


@pytest.fixture(autouse=True)
def _retries(settings):
    settings.MAX_RETRIES = 2
    settings.PROVIDER_MAX_WAIT = 60
    settings.PRICES_JSON = ""


def test_it_retries_transient_failures_with_growing_waits():
    calls, waits = [], []
    flaky = Flaky(OSError("reset"), OSError("reset"))

    assert run(flaky, calls, waits) == "ok"

    assert flaky.tries == 3
    assert len(waits) == 2 and waits[0] < waits[1] + 1
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0
    assert calls[0].attempts == 3 and calls[0].error == ""


def test_it_waits_as_long_as_the_service_asks():
    calls, waits = [], []

    run(Flaky(ProviderError("slow down", retryable=True, retry_after=7)), calls, waits)

    assert waits == [7]


def test_it_gives_up_after_one_plus_max_retries():
    calls, waits = [], []
    flaky = Flaky(*[OSError("down")] * 5)

    with pytest.raises(ProviderError) as failed:
        run(flaky, calls, waits)

    assert flaky.tries == 3
    assert failed.value.retryable is True
    assert calls[0].attempts == 3 and calls[0].error == "down"
    assert calls[0].cost_usd is None


def test_a_refusal_fails_at_once():
    calls, waits = [], []
    flaky = Flaky(ProviderError("blocked", retryable=False, reason="safety"))

    with pytest.raises(ProviderError):
        run(flaky, calls, waits)

    assert (flaky.tries, waits) == (1, [])


def test_a_submit_is_tried_once():
    calls, waits = [], []
    flaky = Flaky(OSError("500"))

    with pytest.raises(ProviderError):
        run(flaky, calls, waits, retries=False)

    assert flaky.tries == 1


def test_a_wait_longer_than_allowed_is_left_to_the_job(settings):
    settings.PROVIDER_MAX_WAIT = 10
    calls, waits = [], []
    flaky = Flaky(ProviderError("come back in an hour", retryable=True, retry_after=3600))

    with pytest.raises(ProviderError) as failed:
        run(flaky, calls, waits)

    assert (flaky.tries, waits) == (1, [])
    assert failed.value.retry_after == 3600


def test_each_call_is_recorded_with_its_usage_and_cost():
    calls, waits = [], []

    run(lambda: "ok", calls, waits,
        usage_of=lambda _: Usage(input_tokens=1_000_000, output_tokens=100_000))  # fmt: skip

    assert calls[0].usage.input_tokens == 1_000_000
    assert calls[0].cost_usd == pytest.approx(2.0 + 1.0)


def test_failed_tries_that_were_billed_count_in_the_cost():
    calls, waits = [], []
    billed = ProviderError("bad answer", retryable=True, usage=Usage(output_tokens=100_000))

    run(Flaky(billed), calls, waits, usage_of=lambda _: Usage(output_tokens=100_000))

    assert calls[0].usage.output_tokens == 200_000
    assert calls[0].cost_usd == pytest.approx(2.0)


def test_retry_after_headers_are_read_in_milliseconds_first():
    assert retry_after_from_headers({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_from_headers({"retry-after": "4"}) == 4
    assert retry_after_from_headers({"retry-after": "soon"}) is None
    assert retry_after_from_headers(None) is None


def test_backoff_is_bounded():
    assert all(backoff(10, None) <= 30 for _ in range(50))


def test_an_operator_can_override_prices(settings):
    settings.PRICES_JSON = '{"gpt-6.1-sol": {"input_per_million": 4}, "my-model": {"per_image": 1}}'

    assert pricing.estimate_cost("gpt-6.1-sol", Usage(input_tokens=500_000)) == 2.0
    assert pricing.estimate_cost("my-model", Usage(images=3)) == 3.0
    assert pricing.estimate_cost("nobody-knows", Usage(images=3)) is None


def test_a_flash_image_costs_what_the_3_1_model_costs_at_1k(settings):
    settings.PRICES_JSON = ""

    assert pricing.estimate_cost("gemini-3.1-flash-image", Usage(images=1)) == 0.067
    assert pricing.estimate_cost("gemini-3.1-flash-image", Usage(images=10)) == 0.67


@pytest.mark.parametrize(
    ("size", "per_second"),
    [("720x1280", 0.30), ("1280x720", 0.30), ("1024x1792", 0.50), ("1792x1024", 0.50), ("", 0.30)],
)
def test_sora_2_pro_costs_more_a_second_at_its_larger_sizes(settings, size, per_second):
    settings.PRICES_JSON = ""

    cost = pricing.estimate_cost("sora-2-pro", Usage(video_seconds=8), size=size)

    assert cost == pytest.approx(8 * per_second)


def test_a_price_that_does_not_depend_on_the_size_ignores_it(settings):
    settings.PRICES_JSON = ""

    assert pricing.estimate_cost("sora-2", Usage(video_seconds=8), size="1024x1792") == 0.8
    assert pricing.estimate_cost("sora-2", Usage(video_seconds=8)) == 0.8


def test_an_operator_can_price_video_by_size(settings):
    settings.PRICES_JSON = (
        '{"wan-3": {"per_video_second": 0.05, "per_video_second_by_size": {"1080x1920": 0.08}}}'
    )

    assert pricing.estimate_cost("wan-3", Usage(video_seconds=10), size="1080x1920") == 0.8
    assert pricing.estimate_cost("wan-3", Usage(video_seconds=10), size="720x1280") == 0.5
    assert "per video second at 1080x1920 $0.08" in pricing.describe_prices("wan-3")


@pytest.mark.parametrize(
    ("model", "work", "cost"),
    [
        ("gemini-3.1-flash-image", {"images": 3}, 0.201),
        ("sora-2-pro", {"video_seconds": 12, "size": "1024x1792"}, 6.0),
        ("gemini-omni-1.2-flash", {"video_seconds": 8}, 0.8),
        ("offline-video-1", {"video_seconds": 8}, 0.0),
        ("nobody-knows", {"images": 1}, None),
    ],
)
def test_it_estimates_what_a_node_will_cost_before_it_runs(settings, model, work, cost):
    settings.PRICES_JSON = ""

    assert pricing.estimate_node_cost(model, **work) == (
        pytest.approx(cost) if cost is not None else None
    )


def test_the_call_record_is_priced_at_the_size_given(settings):
    settings.PRICES_JSON = ""
    calls, waits = [], []

    run(Flaky(), calls, waits, model="sora-2-pro", size="1792x1024",
        usage_of=lambda _: Usage(video_seconds=4))  # fmt: skip

    assert calls[0].cost_usd == pytest.approx(2.0)


@pytest.mark.parametrize("raw", ["not json", '["a"]', '{"m": 3}'])
def test_a_bad_price_table_is_refused(settings, raw):
    settings.PRICES_JSON = raw

    with pytest.raises(ImproperlyConfigured):
        pricing.price_table()


@pytest.mark.django_db
def test_a_job_keeps_the_calls_its_provider_made(user):
    drama = Drama.objects.create(owner=user, title="x")
    job = job_create(drama=drama, kind=Job.Kind.CRITIQUE)

    script_critique_job(job=job)

    job.refresh_from_db()
    assert [c["operation"] for c in job.metadata["calls"]] == ["critique"]
    assert job.metadata["calls"][0]["model"] == "offline-script-1"
    assert job.metadata["costUsd"] == 0
