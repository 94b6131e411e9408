"""The job core: claims, leases and their renewal, one retry policy, not-before times, one
finishing function shared by tasks and the sweeper, and the jobs API."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.brokers import get_broker

from dramas.models import Drama
from generation import script_jobs, tasks
from generation.models import Job
from generation.providers.base import ProviderError
from generation.providers.retry import call_with_retries
from generation.services import (
    job_claim,
    job_create,
    job_fail,
    job_finish,
    jobs_sweep,
)
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def drama(user) -> Drama:
    return Drama.objects.create(owner=user, title="Jobs")


@pytest.fixture
def job(drama) -> Job:
    return job_create(drama=drama, kind=Job.Kind.CRITIQUE)


def expire(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_job_is_claimed_once_and_a_duplicate_delivery_does_nothing(job):
    first = job_claim(job_id=job.pk, worker="w1")
    second = job_claim(job_id=job.pk, worker="w2")

    assert first is not None and first.lease_owner == "w1" and first.attempts == 1
    assert second is None


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_finish(job):
    old = job_claim(job_id=job.pk, worker="w1")
    expire(job)

    new = job_claim(job_id=job.pk, worker="w2")

    assert new is not None and new.attempts == 2
    assert job_finish(job=old, status=Job.Status.COMPLETED, result={"late": True}) is False
    assert job_finish(job=new, status=Job.Status.COMPLETED, result={"ok": True}) is True
    job.refresh_from_db()
    assert (job.status, job.result) == (Job.Status.COMPLETED, {"ok": True})


def test_job_fail_reports_the_real_status_when_the_lease_was_lost(job):
    old = job_claim(job_id=job.pk, worker="w1")
    expire(job)
    job_claim(job_id=job.pk, worker="w2")

    assert job_fail(job=old, error="too late") == Job.Status.RUNNING
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.error) == (Job.Status.RUNNING, "w2", "")


def test_a_permanent_failure_fails_at_once(job):
    claimed = job_claim(job_id=job.pk, worker="w1")

    assert job_fail(job=claimed, error="refused", retryable=False) == Job.Status.FAILED
    job.refresh_from_db()
    assert (job.status, job.error, job.attempts) == (Job.Status.FAILED, "refused", 1)


# ---------------------------------------------------------------- one retry policy
def test_a_persistent_server_error_makes_one_plus_max_retries_calls_in_all(job, monkeypatch):
    calls = []

    def always_500():
        calls.append(1)
        raise ProviderError("HTTP 503", retryable=True, reason="server_error")

    def handler(*, job):
        call_with_retries(always_500, provider="fake", model="m", operation="critique",
                          calls=[], classify=lambda e: e, sleep=lambda s: None)  # fmt: skip

    monkeypatch.setitem(tasks.HANDLERS, Job.Kind.CRITIQUE, handler)
    # However many times the job is delivered, the provider loop's tries are all it gets.
    outcomes = [tasks.run_job(job.pk) for _ in range(5)]

    job.refresh_from_db()
    assert outcomes[0] == Job.Status.FAILED and set(outcomes[1:]) == {"not claimed"}
    assert len(calls) == 1 + 2  # 1 + MAX_RETRIES, not (1 + MAX_RETRIES) ** 2
    assert (job.status, job.attempts) == (Job.Status.FAILED, 1)


def test_a_long_retry_after_sends_the_job_back_not_before_that_time(job, monkeypatch):
    def slow_down():
        raise ProviderError("HTTP 429", retryable=True, retry_after=600, reason="rate_limited")

    def handler(*, job):
        call_with_retries(slow_down, provider="fake", model="m", operation="critique",
                          calls=[], classify=lambda e: e, sleep=lambda s: None)  # fmt: skip

    monkeypatch.setitem(tasks.HANDLERS, Job.Kind.CRITIQUE, handler)
    before = timezone.now()

    assert tasks.run_job(job.pk) == Job.Status.QUEUED
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.attempts == 1
    assert before + timedelta(seconds=590) < job.not_before < before + timedelta(seconds=620)
    # Neither a delivery nor the sweeper takes it before its time.
    assert job_claim(job_id=job.pk, worker="eager") is None
    get_broker().purge_queue()
    assert jobs_sweep() == 0

    # Ten minutes later:
    Job.objects.filter(pk=job.pk).update(
        sent_at=timezone.now() - timedelta(seconds=600),
        not_before=timezone.now() - timedelta(seconds=1),
    )
    assert jobs_sweep() == 1
    assert job_claim(job_id=job.pk, worker="on time") is not None


def test_a_job_of_a_kind_without_a_handler_is_failed_not_left_running(drama):
    job = job_create(drama=drama, kind=Job.Kind.DAG)

    assert tasks.run_job(job.pk) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "no handler" in job.error


def test_a_handler_that_returns_without_finishing_its_job_does_not_leave_it_running(
    job, monkeypatch
):
    monkeypatch.setitem(tasks.HANDLERS, Job.Kind.CRITIQUE, lambda *, job: "done?")

    assert tasks.run_job(job.pk) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "left it running" in job.error


def test_a_bug_in_a_handler_is_recorded_and_the_job_failed(job, monkeypatch):
    def broken(*, job):
        raise KeyError("oops")

    monkeypatch.setitem(tasks.HANDLERS, Job.Kind.CRITIQUE, broken)
    with pytest.raises(KeyError):
        tasks.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "KeyError" in job.error


def test_a_provider_error_in_a_task_is_recorded_on_the_job(job, monkeypatch):
    def refuse(*, job):
        raise ProviderError("blocked by safety filter", retryable=False)

    monkeypatch.setitem(tasks.HANDLERS, Job.Kind.CRITIQUE, refuse)

    assert tasks.run_job(job.pk) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.error == "blocked by safety filter"


# ---------------------------------------------------------------- finishing and leases
def test_a_worker_that_lost_its_lease_saves_no_script_and_leaves_the_drama_alone(user, monkeypatch):
    drama, job = script_jobs.drama_create_from_premise(
        owner=user, options={"premise": "A lighthouse keeper hears a voice"}
    )
    real = script_jobs.script_provider

    def slow_provider():
        provider = real()
        write = provider.write

        def write_while_taken_over(options):
            script = write(options)
            # Meanwhile the lease ran out and another worker took the job over.
            expire(job)
            assert job_claim(job_id=job.pk, worker="w2") is not None
            return script

        provider.write = write_while_taken_over
        return provider

    monkeypatch.setattr(script_jobs, "script_provider", slow_provider)

    assert tasks.run_job(job.pk) == "lease lost"
    drama.refresh_from_db()
    job.refresh_from_db()
    assert drama.status == Drama.Status.WRITING
    assert drama.characters.count() == 0 and drama.version == 1
    assert (job.status, job.lease_owner) == (Job.Status.RUNNING, "w2")


def test_a_script_job_that_fails_marks_its_drama_failed(user, monkeypatch):
    drama, job = script_jobs.drama_create_from_premise(owner=user, options={"premise": "x"})

    def refuse(*, job):
        raise ProviderError("model gone", retryable=False)

    monkeypatch.setitem(tasks.HANDLERS, Job.Kind.SCRIPT, refuse)
    tasks.run_job(job.pk)

    drama.refresh_from_db()
    assert drama.status == Drama.Status.FAILED


def test_the_sweeper_fails_a_script_job_whose_worker_died_and_the_drama_with_it(user, api):
    drama, job = script_jobs.drama_create_from_premise(owner=user, options={"premise": "x"})
    for attempt in range(job.max_attempts):
        assert job_claim(job_id=job.pk, worker=f"w{attempt}") is not None
        expire(job)

    jobs_sweep()

    job.refresh_from_db()
    drama.refresh_from_db()
    assert job.status == Job.Status.FAILED and "no attempts are left" in job.error
    assert drama.status == Drama.Status.FAILED
    # The drama is not stuck: improve answers with a clear conflict, not forever "writing".
    assert "failed" in assert_error(api.post(f"/dramas/{drama.public_id}/critique"), 409)["message"]


@pytest.mark.django_db(transaction=True)
def test_a_working_job_renews_its_lease_so_nobody_takes_it_over(job, monkeypatch, settings):
    settings.JOB_LEASE_SECONDS = 2
    finished = threading.Event()

    def slow(*, job):
        time.sleep(3.5)
        job_finish(job=job, status=Job.Status.COMPLETED)
        return Job.Status.COMPLETED

    monkeypatch.setitem(tasks.HANDLERS, Job.Kind.CRITIQUE, slow)
    worker = threading.Thread(target=lambda: (tasks.run_job(job.pk), finished.set()))
    worker.start()
    taken = []
    while not finished.wait(0.25):
        taken.append(job_claim(job_id=job.pk, worker="thief"))
    worker.join()

    job.refresh_from_db()
    assert not any(taken)
    assert (job.status, job.attempts) == (Job.Status.COMPLETED, 1)


# ---------------------------------------------------------------- the sweep
def test_the_sweeper_resends_lost_and_abandoned_jobs_once_each(drama):
    broker = get_broker()
    lost = job_create(drama=drama, kind=Job.Kind.CRITIQUE)
    abandoned = job_create(drama=drama, kind=Job.Kind.CRITIQUE)
    fresh = job_create(drama=drama, kind=Job.Kind.CRITIQUE)
    long_ago = timezone.now() - timedelta(minutes=10)
    Job.objects.filter(pk=lost.pk).update(sent_at=long_ago)
    job_claim(job_id=abandoned.pk, worker="dead")
    Job.objects.filter(pk=abandoned.pk).update(sent_at=long_ago, lease_expires_at=long_ago)
    broker.purge_queue()

    first = jobs_sweep()
    queued_after_first = broker.queue_size()
    second = jobs_sweep()

    assert first == 2 and queued_after_first == 2
    # Both were just sent: until a worker takes them (or the message is old), nothing more.
    assert second == 0
    assert Job.objects.get(pk=fresh.pk).status == Job.Status.QUEUED


def test_the_sweeper_reads_leases_on_the_database_clock(job, monkeypatch):
    claimed = job_claim(job_id=job.pk, worker="alive")
    # The application's clock runs an hour ahead of the database's.
    ahead = timezone.now() + timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: ahead)
    get_broker().purge_queue()

    assert jobs_sweep() == 0
    job.refresh_from_db()
    assert (job.status, job.lease_owner) == (Job.Status.RUNNING, claimed.lease_owner)


def test_the_sweeper_fails_a_job_whose_worker_died_on_its_last_attempt(job):
    for attempt in range(job.max_attempts):
        job_claim(job_id=job.pk, worker=f"w{attempt}")
        expire(job)

    jobs_sweep()

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "no attempts are left" in job.error


# ---------------------------------------------------------------- the jobs API
def test_the_jobs_api_lists_filters_and_shows_children_with_counts(api, make_drama):
    drama_id = make_drama()["id"]
    drama = Drama.objects.get(public_id=drama_id)
    parent = job_create(drama=drama, kind=Job.Kind.DAG)
    for status in ("completed", "completed", "failed", "running"):
        Job.objects.create(drama=drama, parent=parent, kind=Job.Kind.IMAGE, status=status)
    api.post(f"/dramas/{drama_id}/critique")

    listed = api.get(f"/dramas/{drama_id}/jobs").json()
    dags = api.get(f"/dramas/{drama_id}/jobs?kind=dag").json()
    failed = api.get(f"/dramas/{drama_id}/jobs?status=failed").json()
    plain = api.get(f"/dramas/{drama_id}/jobs/{parent.public_id}").json()
    full = api.get(f"/dramas/{drama_id}/jobs/{parent.public_id}?children=true").json()

    assert listed["count"] == 6
    assert [j["id"] for j in dags["results"]] == [parent.public_id]
    assert [j["status"] for j in failed["results"]] == ["failed"]
    assert plain["counts"]["total"] == 4
    assert (plain["counts"]["completed"], plain["counts"]["failed"]) == (2, 1)
    assert plain["counts"]["running"] == 1
    assert plain["children"] is None
    assert plain["progress"]["percent"] == 75.0
    assert len(plain["progress"]["inFlight"]) == 1
    assert len(full["children"]) == 4
    assert {c["parentId"] for c in full["children"]} == {parent.public_id}


def test_the_jobs_api_refuses_unknown_filters(api, make_drama):
    drama_id = make_drama()["id"]

    assert_error(api.get(f"/dramas/{drama_id}/jobs?status=nope"), 400, "status")
    assert_error(api.get(f"/dramas/{drama_id}/jobs?kind=nope"), 400, "kind")
    assert_error(api.get(f"/dramas/{drama_id}/jobs/job_unknown"), 404)
