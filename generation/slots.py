"""Per-provider concurrency limits that hold across every worker on every machine.

A provider's limit is a set of numbered slot rows; a node takes a free one with a conditional
UPDATE before it calls the provider and keeps it until it finishes, through every poll of a
remote render. A worker that dies keeps its slot for the job, and whoever takes the job over
goes on with it: a slot is only freed when its job stops running.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Now

from generation.models import Job, ProviderSlot


def slot_limit(provider: str) -> int | None:
    """The limit for `kind:name` (e.g. `image:gemini`), else for its kind; None: no limit."""
    limits = settings.PROVIDER_CONCURRENCY
    return limits.get(provider, limits.get(provider.split(":", 1)[0]))


def _ensure_rows(provider: str, limit: int) -> None:
    # One statement; rows that exist are left as they are.
    ProviderSlot.objects.bulk_create(
        [ProviderSlot(provider=provider, number=n) for n in range(limit)],
        ignore_conflicts=True,
    )


def slot_acquire(*, job: Job) -> bool:
    """Takes a slot of the job's provider for it (or finds the one it holds).

    A node's start (`started_at`) is set again when it takes a slot.
    """
    limit = slot_limit(job.provider) if job.provider else None
    if limit is None:
        return True
    for first_try in (True, False):
        # The slot the job holds, or the free ones, in one query.
        rows = list(
            ProviderSlot.objects.filter(provider=job.provider, number__lt=limit)
            .filter(Q(job=job) | Q(job__isnull=True))
            .values_list("pk", "job_id")
        )
        if any(holder == job.pk for _, holder in rows):
            return True
        for pk, _ in rows:
            if ProviderSlot.objects.filter(pk=pk, job__isnull=True).update(job=job) == 1:
                # The node starts now, when it holds its slot, not when it was claimed a
                # moment before: timelines and the benchmark measure what the limit allows.
                Job.objects.filter(pk=job.pk).update(started_at=Now())
                return True
        if rows or not first_try:
            return False
        # No free row: perhaps the provider's rows (or some, after a raised limit) are not
        # made yet.
        if ProviderSlot.objects.filter(provider=job.provider, number__lt=limit).count() >= limit:
            return False
        _ensure_rows(job.provider, limit)
    return False


def slot_release(*, job: Job) -> bool:
    """Frees the job's slot; True when it held one."""
    return ProviderSlot.objects.filter(job=job).update(job=None) == 1


def free_slots(provider: str) -> int | None:
    """How many of the provider's slots no job holds; None when it has no limit."""
    limit = slot_limit(provider)
    if limit is None:
        return None
    held = ProviderSlot.objects.filter(provider=provider, number__lt=limit, job__isnull=False)
    return limit - held.count()


def slots_free_abandoned() -> int:
    """Frees slots whose job stopped running without freeing them (a safety net)."""
    return (
        ProviderSlot.objects.filter(job__isnull=False)
        .exclude(job__status=Job.Status.RUNNING)
        .update(job=None)
    )


# Which ready node goes first for a slot: the one with the most work behind it (its
# `priority`, from the plan), then the older.
URGENCY = (F("priority").desc(), "id")


def next_waiting(*, provider: str, exclude: int | None = None) -> int | None:
    """The most urgent ready node of the provider that waits for a slot unsent, if any.

    (One sent already is on its way; one whose message was lost, the dispatcher re-sends.)"""
    waiting = Job.objects.filter(provider=provider, status=Job.Status.QUEUED, sent_at=None)
    if exclude is not None:
        waiting = waiting.exclude(pk=exclude)
    return waiting.order_by(*URGENCY).values_list("pk", flat=True).first()
