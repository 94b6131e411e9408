"""Runs of the DAG: start one from a plan, release nodes as their inputs finish, skip what
waits on a failure, end the run, cancel and retry it.

A run is a parent job (kind `dag`) with one child per node and the dependencies between
them. A node is released the moment all its own inputs are done; in `level` mode (the
benchmark's baseline) only once every node of the levels before it has finished.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, Q, When
from django.db.models.functions import Now
from django.utils import timezone

from assets.models import Asset
from assets.services import asset_edit
from dramaplatform.errors import Conflict
from dramas import services as drama_services
from dramas.models import Drama
from generation import dag
from generation.models import Job, ProviderSlot
from generation.providers.registry import video_provider
from generation.services import jobs_enqueue, jobs_send
from generation.slots import free_slots, next_waiting, slot_release

logger = logging.getLogger(__name__)
# Inputs a node still waits for. (A positive list: a negated condition on a many-to-many
# join inside Count() is read for the whole job, not per input.)
NOT_DONE = [s for s in Job.Status.values if s != Job.Status.COMPLETED]


class RunInProgress(Conflict):
    """A second run of a drama while one is going; the details name it."""

    code = "run_in_progress"

    def __init__(self, run: Job):
        super().__init__(
            f"A generation run of this drama is in progress ({run.public_id}); wait for it, "
            "or cancel it first.",
            details={"jobId": run.public_id},
        )
        self.run = run


def active_run(drama: Drama) -> Job | None:
    return (
        Job.objects.filter(drama=drama, kind=Job.Kind.DAG, parent=None, status__in=Job.ACTIVE)
        .order_by("-id")
        .first()
    )


def plan_summary(p: dag.Plan) -> dict:
    """The dry run's answer: what would be made, what is made already, and what it costs."""

    def row(n: dag.Node) -> dict:
        return {
            "node": n.node,
            "target_type": n.target_type,
            "target_key": n.target_key,
            "provider": n.provider,
            "model": n.model,
            "level": n.level,
            "estimated_cost_usd": n.estimate_usd,
            "depends_on": [f"{k[0]}:{k[1]}" for k in p.edges.get(n.key, [])],
        }

    return {
        "to_make": [row(n) for n in p.to_make],
        "satisfied": [row(n) for n in p.satisfied],
        "estimated_cost_usd": {"by_provider": p.cost_by_provider(), "total": p.total_cost()},
    }


@transaction.atomic
def run_start(
    *,
    drama: Drama,
    scope: str = "drama",
    key: str | None = None,
    kinds: list[str] | None = None,
    force: bool = False,
    remake: set | None = None,
) -> Job:
    """Plans the run and queues the nodes that can start; 409 while another run is going.
    `remake`: nodes to make again with what depends on them (see `run_regenerate`)."""
    # One run at a time per drama: the row lock orders two requests that arrive together.
    drama = Drama.objects.select_for_update().get(pk=drama.pk)
    drama_services.require_script(drama=drama)
    running = active_run(drama)
    if running is not None:
        raise RunInProgress(running)
    p = dag.plan(drama, scope=scope, key=key, kinds=kinds, force=force, remake=remake)
    options = {"scope": scope, "key": key, "kinds": kinds or [], "force": force,
               "scheduling": settings.DAG_SCHEDULING}  # fmt: skip
    run = Job.objects.create(
        drama=drama,
        kind=Job.Kind.DAG,
        status=Job.Status.RUNNING,
        target_type=scope if scope != "drama" else "",
        target_key=key or "",
        metadata={**options, "estimatedCostUsd": p.total_cost(), **plan_counts(p)},
        started_at=Now(),
        max_attempts=1,
    )
    children = [
        _node_job(run, n, force=force or n.key in p.remade, priority=p.priority[n.key])
        for n in p.to_make
    ]
    children += [_satisfied_job(run, n) for n in p.satisfied]
    Job.objects.bulk_create(children)
    by_key = {(c.node, c.target_key): c for c in children}
    through = Job.depends_on.through
    through.objects.bulk_create(
        [
            through(from_job_id=by_key[k].pk, to_job_id=by_key[i].pk)
            for k, inputs in p.edges.items()
            for i in inputs
        ]
    )
    drama_services.drama_set_status(drama_id=drama.pk, status=Drama.Status.GENERATING)
    _release(run, [c for c in children if c.status == Job.Status.PENDING and not p.edges[
        (c.node, c.target_key)]])  # fmt: skip
    _maybe_end(run)
    return run


# What "regenerate" on an entity makes again: its own nodes (then what depends on them).
REGENERATED = {
    "character": (Job.Node.PORTRAIT, Job.Node.AUDITION),
    "scene": (Job.Node.STORYBOARD, Job.Node.CLIP),
    "line": (Job.Node.DIALOGUE_AUDIO,),
    "episode": (Job.Node.EPISODE_CUT,),
}


@transaction.atomic
def run_regenerate(
    *, drama: Drama, target_type: str, key: str, node: str = "", prompt: str = ""
) -> Job:
    """Makes an entity's media again (or only `node` of it), and everything that depends on
    it; the rest of the drama is kept. With `prompt`, that node is first given the edited
    prompt (on its current asset, as an edit through the API would), which it makes from now
    on. 409 while another run of the drama is going."""
    nodes = (node,) if node else REGENERATED.get(target_type, ())
    if not nodes or (node and dag.TARGET.get(node) != target_type):
        raise dag.PlanError(f"nothing to regenerate on a {target_type} as {node or 'a whole'}")
    graph = dag.drama_graph(drama)
    keys = {(n, key) for n in nodes if (n, key) in graph}
    if not keys:
        raise dag.PlanError(f"the drama has no {target_type} {key!r}")
    if prompt:
        # Refused before anything is edited: the edit writes the asset's sidecar file too,
        # which no rollback takes back. The row lock orders two requests that come together.
        locked = Drama.objects.select_for_update().get(pk=drama.pk)
        running = active_run(locked)
        if running is not None:
            raise RunInProgress(running)
        first = graph[sorted(keys, key=lambda k: dag.LEVEL[k[0]])[0]]
        if first.current is None:
            raise dag.PlanError(f"the {first.node} of {key} is not made yet: nothing to edit")
        asset_edit(asset=first.current, data={"prompt": prompt})
    return run_start(drama=drama, remake=keys)


def plan_counts(p: dag.Plan) -> dict:
    return {"planned": len(p.to_make), "alreadySatisfied": len(p.satisfied)}


def _child(run: Job, n: dag.Node, **fields) -> Job:
    """The run's job for node `n`."""
    return Job(
        drama_id=run.drama_id,
        parent=run,
        kind=dag.JOB_KIND[n.kind],
        node=n.node,
        target_type=n.target_type,
        target_key=n.target_key,
        provider=n.provider,
        fingerprint=n.fingerprint,
        level=n.level,
        prompt=n.prompt,
        **fields,
    )


def _node_job(run: Job, n: dag.Node, *, force: bool, priority: int) -> Job:
    return _child(
        run, n, status=Job.Status.PENDING, max_attempts=1 + settings.MAX_RETRIES,
        priority=priority,
        metadata={"force": force, "estimatedCostUsd": n.estimate_usd, "model": n.model},
    )  # fmt: skip


def _satisfied_job(run: Job, n: dag.Node) -> Job:
    """A node already made: completed at once with its current asset, no provider call."""
    now = timezone.now()
    return _child(
        run, n, status=Job.Status.COMPLETED, asset=n.current, started_at=now, completed_at=now,
        result={"satisfied": True, "assetId": n.current.public_id if n.current else None},
        metadata={"satisfied": True, "model": n.model},
    )  # fmt: skip


# ---------------------------------------------------------------- releasing nodes
def _release(run: Job, jobs: list[Job], room: dict | None = None) -> bool:
    """Queues the nodes whose inputs are done, or holds clips for approval when required.

    Sends as many of each provider's as it has free slots (`room`, counted here when not
    given, is what is left of them afterwards); the rest stay queued, unsent, for a slot
    that frees to wake, or the dispatcher to send. Returns whether any node was queued.
    """
    if not jobs:
        return False
    if run.metadata.get("scheduling", "dependency") == "level":
        # Only the lowest level that still has unfinished nodes may run.
        unfinished = Job.objects.filter(parent=run).exclude(status__in=Job.FINISHED)
        floor = unfinished.order_by("level").values_list("level", flat=True).first()
        jobs = [j for j in jobs if floor is None or j.level <= floor]
    gated = _awaiting_approval(jobs)
    if gated:
        Job.objects.filter(pk__in=gated, status=Job.Status.PENDING).update(
            status=Job.Status.AWAITING_APPROVAL
        )
    ready = [j for j in jobs if j.pk not in gated]
    if not ready:
        return False
    send = _within_free_slots(ready, {} if room is None else room)
    # One statement: queued, when (the benchmark measures the wait from here to the start),
    # and which of them are sent now.
    Job.objects.filter(pk__in=[j.pk for j in ready], status=Job.Status.PENDING).update(
        status=Job.Status.QUEUED,
        released_at=Now(),
        sent_at=Case(When(pk__in=send, then=Now()), default=None) if send else None,
    )
    jobs_send(job_ids=send)
    return True


def _within_free_slots(jobs: list[Job], room: dict[str, int | None]) -> list[int]:
    """The nodes to send now: as many of each provider's as it has free slots, most urgent
    first. `room` holds the free slots counted so far, and is left with what remains."""
    send = []
    for job in sorted(jobs, key=lambda j: (-j.priority, j.pk)):
        if job.provider not in room:
            room[job.provider] = free_slots(job.provider) if job.provider else None
        if room[job.provider] is None or room[job.provider] > 0:
            send.append(job.pk)
            if room[job.provider] is not None:
                room[job.provider] -= 1
    return send


def _awaiting_approval(jobs: list[Job]) -> list[int]:
    """The clips among `jobs` whose storyboard is not approved yet, when approval is required.

    One query for all of them."""
    clips = [j for j in jobs if j.node == Job.Node.CLIP]
    if not settings.REQUIRE_STORYBOARD_APPROVAL or not clips:
        return []
    approved = set(
        Asset.objects.filter(
            drama_id=clips[0].drama_id,
            scene__key__in=[c.target_key for c in clips],
            kind=Asset.Kind.STORYBOARD,
            is_current=True,
            review_status=Asset.Review.APPROVED,
        ).values_list("scene__key", flat=True)
    )
    return [c.pk for c in clips if c.target_key not in approved]


def storyboard_reviewed(*, asset, **_) -> None:
    """The approval gate: an approved storyboard releases the clips waiting on it; a rejected
    one is made again (its clip waits for the new one, and for its approval)."""
    if asset.kind != Asset.Kind.STORYBOARD or not asset.is_current or asset.scene_id is None:
        return
    scene_nodes = Job.objects.filter(
        drama_id=asset.drama_id,
        target_type="scene",
        target_key=asset.scene.key,
        parent__status=Job.Status.RUNNING,
    )
    if asset.review_status == Asset.Review.APPROVED:
        waiting = list(
            scene_nodes.filter(node=Job.Node.CLIP, status=Job.Status.AWAITING_APPROVAL).values_list(
                "pk", flat=True
            )
        )
        Job.objects.filter(pk__in=waiting).update(status=Job.Status.QUEUED)
        jobs_enqueue(job_ids=waiting)
    elif asset.review_status == Asset.Review.REJECTED:
        clips = scene_nodes.filter(node=Job.Node.CLIP, status=Job.Status.AWAITING_APPROVAL)
        boards = list(
            scene_nodes.filter(
                node=Job.Node.STORYBOARD,
                status=Job.Status.COMPLETED,
                parent__in=clips.values("parent"),
            ).values_list("pk", flat=True)
        )
        if not boards:
            return
        clips.update(status=Job.Status.PENDING)
        Job.objects.filter(pk__in=boards).update(
            status=Job.Status.QUEUED, attempts=0, error="", completed_at=None, asset=None
        )
        jobs_enqueue(job_ids=boards)


def _ready_dependants(job: Job) -> list[Job]:
    """Pending nodes that wait on `job` and on nothing unfinished any more (one query)."""
    waiting = Job.depends_on.through.objects.filter(to_job=job).values("from_job")
    # A subquery, not a join: joined to the filter, Count() would see one input only.
    return _with_no_open_inputs(Job.objects.filter(pk__in=waiting, status=Job.Status.PENDING))


def _ready_nodes(run: Job) -> list[Job]:
    """The run's pending nodes whose inputs are all done."""
    return _with_no_open_inputs(Job.objects.filter(parent=run, status=Job.Status.PENDING))


def _with_no_open_inputs(jobs) -> list[Job]:
    # Only what releasing them reads.
    return list(
        jobs.only("id", "drama_id", "node", "target_key", "provider", "level", "priority")
        .annotate(open=Count("depends_on", filter=Q(depends_on__status__in=NOT_DONE)))
        .filter(open=0)
    )


def node_finished(job: Job) -> None:
    """Outcome effects of a node, inside its finishing transaction."""
    # Siblings finish one at a time: the last one to finish sees every other's outcome.
    run = Job.objects.select_for_update().only("id", "drama_id", "metadata").get(pk=job.parent_id)
    freed = slot_release(job=job)
    level = run.metadata.get("scheduling") == "level"
    room: dict[str, int | None] = {}
    released = False
    if job.status == Job.Status.COMPLETED:
        released = _release(run, _ready_nodes(run) if level else _ready_dependants(job), room)
    elif job.status in (Job.Status.FAILED, Job.Status.SKIPPED, Job.Status.CANCELLED):
        _skip_dependants(job)
        if level:
            released = _release(run, _ready_nodes(run), room)
    if freed and room.get(job.provider, 1):
        # The freed slot is not taken by a node released just now: wake one that waits.
        waiting = next_waiting(provider=job.provider, exclude=job.pk)
        if waiting is not None:
            jobs_enqueue(job_ids=[waiting])
    if not released:  # a node queued just now keeps the run going
        _maybe_end(run)


def _skip_dependants(job: Job) -> None:
    frontier = [job.pk]
    reason = f"skipped: {job.node or job.kind} {job.target_key} did not complete"
    while frontier:
        waiting = list(
            Job.objects.filter(
                depends_on__in=frontier,
                status__in=(Job.Status.PENDING, Job.Status.AWAITING_APPROVAL),
            ).values_list("pk", flat=True)
        )
        Job.objects.filter(pk__in=waiting).update(
            status=Job.Status.SKIPPED, error=reason, completed_at=Now()
        )
        frontier = waiting


def _maybe_end(run: Job) -> None:
    """Ends the run once no node is left to do: completed, partial or failed."""
    counts = dict(
        Job.objects.filter(parent=run).values_list("status").annotate(n=Count("id")).order_by()
    )
    if any(counts.get(s) for s in Job.ACTIVE):
        return
    completed = counts.get(Job.Status.COMPLETED, 0)
    total = sum(counts.values())
    if counts.get(Job.Status.CANCELLED):
        return  # a cancelled run was ended by the cancel
    status = (
        Job.Status.COMPLETED
        if completed == total
        else Job.Status.PARTIAL
        if completed
        else Job.Status.FAILED
    )
    ended = Job.objects.filter(pk=run.pk, status=Job.Status.RUNNING).update(
        status=status, completed_at=Now()
    )
    if ended:
        drama_status = (
            Drama.Status.PRODUCED if status == Job.Status.COMPLETED else Drama.Status.READY
        )
        drama_services.drama_set_status(drama_id=run.drama_id, status=drama_status)


# ---------------------------------------------------------------- cancel and retry
@transaction.atomic
def run_cancel(*, run: Job) -> Job:
    """Stops the run: nodes not started are cancelled; renders in flight are cancelled at the
    service where it can; a node working in a worker is abandoned (its result is not kept)."""
    run = Job.objects.select_for_update().get(pk=run.pk)
    if run.status not in Job.ACTIVE:
        raise Conflict(f"The run is {run.status}; only a run in progress can be cancelled.")
    open_nodes = Job.objects.filter(parent=run, status__in=Job.ACTIVE)
    renders = [(j.pk, j.render) for j in open_nodes.exclude(provider_job_id="") if j.render]
    open_nodes.update(
        status=Job.Status.CANCELLED,
        error="cancelled",
        completed_at=Now(),
        lease_owner="",
        lease_expires_at=None,
    )
    ProviderSlot.objects.filter(job__parent=run).update(job=None)
    Job.objects.filter(pk=run.pk).update(status=Job.Status.CANCELLED, completed_at=Now())
    drama_services.drama_set_status(drama_id=run.drama_id, status=Drama.Status.READY)
    if renders:
        transaction.on_commit(lambda: _cancel_renders(renders))
    run.refresh_from_db()
    return run


def _cancel_renders(renders: list[tuple[int, dict]]) -> None:
    for job_id, handle in renders:
        outcome = "not supported by the service"
        try:
            provider = video_provider(handle.get("provider"))
            cancel = getattr(provider, "cancel", None)
            if cancel is not None and cancel(handle):
                outcome = "cancelled at the service"
        except Exception as exc:  # the run is cancelled either way; say what the service did
            outcome = f"cancel at the service failed: {exc}"
            logger.warning("job %s: %s", job_id, outcome)
        Job.objects.filter(pk=job_id).update(error=f"cancelled; render {outcome}")


@transaction.atomic
def run_retry(*, run: Job) -> Job:
    """Runs the failed, skipped and cancelled nodes again; completed ones are kept.

    This is the operator's explicit decision, so a node whose submit had an unknown outcome
    is submitted again.
    """
    run = Job.objects.select_for_update().get(pk=run.pk)
    if run.status in Job.ACTIVE:
        raise Conflict("The run is still in progress: cancel it first, or wait for it to end.")
    drama = Drama.objects.select_for_update().get(pk=run.drama_id)
    other = active_run(drama)
    if other is not None:
        raise RunInProgress(other)
    again = Job.objects.filter(
        parent=run, status__in=(Job.Status.FAILED, Job.Status.SKIPPED, Job.Status.CANCELLED)
    )
    if not again.exists():
        raise Conflict("Nothing to retry: every node of this run completed.")
    for job in again:
        meta = {k: v for k, v in job.metadata.items() if k not in ("render", "submitting")}
        meta["retries"] = meta.get("retries", 0) + 1
        job.metadata = meta
    Job.objects.bulk_update(list(again), ["metadata"])
    again.update(
        status=Job.Status.PENDING, error="", attempts=0, provider_job_id="", started_at=None,
        completed_at=None, not_before=None, lease_owner="", lease_expires_at=None,
    )  # fmt: skip
    Job.objects.filter(pk=run.pk).update(status=Job.Status.RUNNING, completed_at=None)
    run.refresh_from_db()
    drama_services.drama_set_status(drama_id=drama.pk, status=Drama.Status.GENERATING)
    _release(run, _ready_nodes(run))
    _maybe_end(run)
    return run
