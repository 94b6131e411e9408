"""Jobs: claims, leases, retries, the sweeper, and the jobs API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.brokers import get_broker

from dramas.models import Drama
from generation import tasks
from generation.models import Job
from generation.providers.base import ProviderError
from generation.services import (
    job_claim,
    job_complete,
    job_create,
    job_fail,
    jobs_requeue_stale,
)
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def drama(user) -> Drama:
    return Drama.objects.create(owner=user, title="Jobs")


@pytest.fixture
def job(drama) -> Job:
    return job_create(drama=drama, kind=Job.Kind.CRITIQUE)


def test_a_job_is_claimed_once_and_a_duplicate_delivery_does_nothing(job):
    first = job_claim(job_id=job.pk, worker="w1")
    second = job_claim(job_id=job.pk, worker="w2")

    assert first is not None and first.lease_owner == "w1" and first.attempts == 1
    assert second is None


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_finish(job):
    old = job_claim(job_id=job.pk, worker="w1")
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    new = job_claim(job_id=job.pk, worker="w2")

    assert new is not None and new.attempts == 2
    assert job_complete(job=old, result={"late": True}) is False
    assert job_complete(job=new, result={"ok": True}) is True
    job.refresh_from_db()
    assert (job.status, job.result) == (Job.Status.COMPLETED, {"ok": True})


def test_a_retryable_failure_requeues_until_the_attempts_run_out(job, settings):
    assert job.max_attempts == 1 + settings.MAX_RETRIES
    statuses = []
    for attempt in range(job.max_attempts):
        claimed = job_claim(job_id=job.pk, worker=f"w{attempt}")
        statuses.append(job_fail(job=claimed, error="busy", retryable=True))

    assert statuses == [Job.Status.QUEUED] * (job.max_attempts - 1) + [Job.Status.FAILED]
    assert job_claim(job_id=job.pk, worker="late") is None


def test_a_permanent_failure_fails_at_once(job):
    claimed = job_claim(job_id=job.pk, worker="w1")

    assert job_fail(job=claimed, error="refused", retryable=False) == Job.Status.FAILED
    job.refresh_from_db()
    assert (job.status, job.error, job.attempts) == (Job.Status.FAILED, "refused", 1)


def test_a_provider_error_in_a_task_is_recorded_on_the_job(job, monkeypatch):
    def refuse(*, job):
        raise ProviderError("blocked by safety filter", retryable=False)

    monkeypatch.setitem(tasks.HANDLERS, Job.Kind.CRITIQUE, refuse)

    assert tasks.run_job(job.pk) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.error == "blocked by safety filter"


def test_a_script_job_that_fails_marks_its_drama_failed(user, monkeypatch):
    drama = Drama.objects.create(owner=user, title="x", status=Drama.Status.WRITING)
    job = job_create(drama=drama, kind=Job.Kind.SCRIPT, metadata={"premise": "x"})

    def refuse(*, job):
        raise ProviderError("model gone", retryable=False)

    monkeypatch.setitem(tasks.HANDLERS, Job.Kind.SCRIPT, refuse)
    tasks.run_job(job.pk)

    drama.refresh_from_db()
    assert drama.status == Drama.Status.FAILED


def test_the_sweeper_resends_lost_and_abandoned_jobs_once(drama):
    broker = get_broker()
    broker.purge_queue()
    lost = job_create(drama=drama, kind=Job.Kind.CRITIQUE)
    abandoned = job_create(drama=drama, kind=Job.Kind.CRITIQUE)
    fresh = job_create(drama=drama, kind=Job.Kind.CRITIQUE)
    long_ago = timezone.now() - timedelta(minutes=10)
    Job.objects.filter(pk=lost.pk).update(sent_at=long_ago)
    job_claim(job_id=abandoned.pk, worker="dead")
    Job.objects.filter(pk=abandoned.pk).update(lease_expires_at=long_ago)
    broker.purge_queue()

    first = jobs_requeue_stale()
    queued_after_first = broker.queue_size()
    second = jobs_requeue_stale()

    assert first == 2
    assert queued_after_first == 2
    # The lost job was just re-sent; only the abandoned one is still due until it is claimed.
    assert second == 1
    assert Job.objects.get(pk=fresh.pk).status == Job.Status.QUEUED


def test_the_sweeper_fails_a_job_whose_worker_died_on_its_last_attempt(job):
    for attempt in range(job.max_attempts):
        job_claim(job_id=job.pk, worker=f"w{attempt}")
        Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    jobs_requeue_stale()

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "no attempts are left" in job.error


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
    assert len(full["children"]) == 4
    assert {c["parentId"] for c in full["children"]} == {parent.public_id}


def test_the_jobs_api_refuses_unknown_filters(api, make_drama):
    drama_id = make_drama()["id"]

    assert_error(api.get(f"/dramas/{drama_id}/jobs?status=nope"), 400, "status")
    assert_error(api.get(f"/dramas/{drama_id}/jobs?kind=nope"), 400, "kind")
    assert_error(api.get(f"/dramas/{drama_id}/jobs/job_unknown"), 404)
