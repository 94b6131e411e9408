from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from dramaplatform.errors import NotFound
from dramas.models import Drama
from generation.models import Job

COUNTED = ("pending", "queued", "running", "completed", "failed", "skipped", "cancelled",
           "awaiting_approval", "partial")  # fmt: skip


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


def run_progress(*, job: Job) -> dict | None:
    """A run's percent done, its nodes in flight, its cost so far and the time left."""
    if job.kind != Job.Kind.DAG:
        return None
    rows = list(
        job.children.values_list(
            "public_id", "node", "target_key", "provider", "status", "metadata", "started_at"
        )  # fmt: skip
    )
    total = len(rows)
    finished = sum(1 for r in rows if r[4] in Job.FINISHED)
    cost = sum(float(r[5].get("costUsd") or 0) for r in rows)
    in_flight = [
        {"id": r[0], "node": r[1], "target_key": r[2], "provider": r[3],
         "render_progress": r[5].get("renderProgress"), "started_at": r[6]}
        for r in rows if r[4] == Job.Status.RUNNING
    ]  # fmt: skip
    eta = None
    if job.status in Job.ACTIVE and finished and job.started_at and finished < total:
        elapsed = (timezone.now() - job.started_at).total_seconds()
        eta = round(elapsed / finished * (total - finished), 1)
    elif job.status not in Job.ACTIVE:
        eta = 0.0
    return {
        "percent": round(100.0 * finished / total, 1) if total else 100.0,
        "in_flight": in_flight,
        "cost_usd": round(cost, 6),
        "estimated_cost_usd": job.metadata.get("estimatedCostUsd"),
        "eta_seconds": eta,
    }


# What a run's page reads of each node.
NODE_FIELDS = ("id", "public_id", "parent", "drama", "kind", "node", "target_type", "target_key",
               "provider", "status", "level", "attempts", "max_attempts", "error", "metadata",
               "released_at", "started_at", "completed_at")  # fmt: skip


def run_nodes(*, run: Job) -> list[Job]:
    """A run's nodes in the order they are shown: by level, then by kind and target, with what
    the run's page reads (one query)."""
    order = {n: i for i, n in enumerate(Job.Node.values)}
    nodes = list(run.children.only(*NODE_FIELDS))
    nodes.sort(key=lambda n: (n.level, order.get(n.node, len(order)), n.target_key, n.pk))
    return nodes


def _children_count(**filters) -> Coalesce:
    counted = (
        Job.objects.filter(parent=OuterRef("pk"), **filters)
        .order_by()
        .values("parent")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_run_progress(jobs: QuerySet[Job]) -> QuerySet[Job]:
    """Annotates `run_total`, `run_finished` and `run_failed` (nodes) on each job, computed in
    the same query and only for the rows it returns; 0 for jobs that are not runs."""
    return jobs.annotate(
        run_total=_children_count(),
        run_finished=_children_count(status__in=Job.FINISHED),
        run_failed=_children_count(status=Job.Status.FAILED),
    )
