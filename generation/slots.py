"""Per-provider concurrency limits that hold across every worker on every machine.

A provider's limit is a set of numbered slot rows; a node takes a free one with a conditional
UPDATE before it calls the provider and keeps it until it finishes, through every poll of a
remote render. A worker that dies keeps its slot for the job, and whoever takes the job over
goes on with it: a slot is only freed when its job stops running.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case, IntegerField, When
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
    """Takes a slot of the job's provider for it (or finds the one it holds)."""
    limit = slot_limit(job.provider) if job.provider else None
    if limit is None:
        return True
    _ensure_rows(job.provider, limit)
    if ProviderSlot.objects.filter(job=job).exists():
        return True
    free = ProviderSlot.objects.filter(provider=job.provider, number__lt=limit, job__isnull=True)
    for pk in free.values_list("pk", flat=True):
        if ProviderSlot.objects.filter(pk=pk, job__isnull=True).update(job=job) == 1:
            # The node starts when it has its slot, not when its message arrived: timelines
            # and the benchmark's durations measure the work the limit allows.
            Job.objects.filter(pk=job.pk).update(started_at=Now())
            return True
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


# Which ready node goes first for a slot: the one with the longest chain of work behind it
# (a portrait unlocks storyboards, clips and a cut; an audition or a cut unlocks nothing).
URGENCY_ORDER = {Job.Node.PORTRAIT: 0, Job.Node.STORYBOARD: 1, Job.Node.CLIP: 2}
URGENCY = Case(
    *(When(node=node, then=rank) for node, rank in URGENCY_ORDER.items()),
    default=len(URGENCY_ORDER),
    output_field=IntegerField(),
)


def next_waiting(*, provider: str, exclude: int | None = None) -> int | None:
    """The most urgent ready node of the provider that is waiting for a slot, if any."""
    waiting = Job.objects.filter(provider=provider, status=Job.Status.QUEUED)
    if exclude is not None:
        waiting = waiting.exclude(pk=exclude)
    return waiting.order_by(URGENCY, "id").values_list("pk", flat=True).first()
