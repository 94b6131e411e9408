from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from rest_framework.exceptions import NotFound

from dramas.models import Drama
from generation.models import Job

COUNTED = ("pending", "queued", "running", "completed", "failed", "skipped", "cancelled",
           "awaiting_approval")  # fmt: skip


def with_child_counts(jobs: QuerySet[Job]) -> QuerySet[Job]:
    """Annotates `child_total` and `child_<status>` for each job, in the same query."""
    return jobs.annotate(
        child_total=Count("children"),
        **{f"child_{s}": Count("children", filter=Q(children__status=s)) for s in COUNTED},
    )


def job_list(*, drama: Drama, status: str | None = None, kind: str | None = None):
    jobs = with_child_counts(
        Job.objects.filter(drama=drama).select_related("drama", "parent", "asset")
    ).order_by("-created_at", "-id")
    if status:
        jobs = jobs.filter(status=status)
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs


def job_get(*, drama: Drama, public_id: str) -> Job:
    job = job_list(drama=drama).filter(public_id=public_id).first()
    if job is None:
        raise NotFound(f"No job with id '{public_id}' in this drama.")
    return job


def job_children(*, job: Job) -> QuerySet[Job]:
    return (
        with_child_counts(job.children.all())
        .select_related("drama", "parent", "asset")
        .prefetch_related("depends_on")
        .order_by("level", "id")
    )
