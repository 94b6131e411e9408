"""A run's page in the admin: its tree of nodes, counts, progress, costs, errors and timeline,
the JSON the page polls while the run goes on, and its cancel and retry buttons.

Nothing here writes a job: the buttons change a run only through `runs.run_cancel` and
`runs.run_retry`, the services the API calls.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from dramaplatform.errors import DomainError
from generation.models import Job
from generation.selectors import run_nodes, run_progress

# The order statuses are counted in on the page: what is going on first.
SHOWN = ("running", "queued", "pending", "awaiting_approval", "completed", "failed", "skipped",
         "cancelled")  # fmt: skip
RETRIED = (Job.Status.FAILED, Job.Status.SKIPPED, Job.Status.CANCELLED)
POLL_MS = 1500


# ---------------------------------------------------------------- formatting
def status_label(status: str) -> str:
    return status.replace("_", " ")


def usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:.4f}" if value < 10 else f"${value:,.2f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _tick_label(seconds: float) -> str:
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f}s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s" if rest else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"


# ---------------------------------------------------------------- the run as the page shows it
class NodeRow:
    """One node of the run with what its row shows."""

    def __init__(self, job: Job, *, now: dt.datetime):
        self.job = job
        self.cost_usd = job.metadata.get("costUsd")
        if self.cost_usd is None and job.is_finished and not job.metadata.get("calls"):
            self.cost_usd = 0.0  # no provider was called: nothing was paid
        self.estimated_usd = job.metadata.get("estimatedCostUsd")
        self.satisfied = bool(job.metadata.get("satisfied"))
        end = job.completed_at or (now if job.status == Job.Status.RUNNING else None)
        self.end = end if job.started_at else None
        self.seconds = (end - job.started_at).total_seconds() if job.started_at and end else None
        progress = job.metadata.get("renderProgress")
        rendering = job.status == Job.Status.RUNNING and progress is not None
        self.rendering = f", rendered {progress:.0%}" if rendering else ""

    @property
    def label(self) -> str:
        return f"{self.job.node or self.job.kind} {self.job.target_key}".strip()

    def as_context(self) -> dict:
        job = self.job
        return {
            "id": job.public_id,
            "pk": job.pk,
            "node": job.node or job.kind,
            "target_type": job.target_type,
            "target_key": job.target_key,
            "provider": job.provider,
            "status": job.status,
            "status_label": status_label(job.status),
            "satisfied": self.satisfied,
            "attempts": f"{job.attempts}/{job.max_attempts}",
            "started_at": job.started_at,
            # Only once it has ended: a ticking time would redraw the rows (and their links)
            # at every poll.
            "took": duration(self.seconds) if job.completed_at else "—",
            "cost": usd(self.cost_usd),
            "estimated": usd(self.estimated_usd),
            "error": job.error,
        }


class RunPage:
    """What a run's page shows, read once: its nodes (one query) and its progress."""

    def __init__(self, run: Job, *, can_steer: bool):
        self.run = run
        self.now = timezone.now()
        self.rows = [NodeRow(n, now=self.now) for n in run_nodes(run=run)]
        self.progress = run_progress(job=run) or {}
        self.counts = Counter(r.job.status for r in self.rows)
        self.can_steer = can_steer

    @property
    def ended(self) -> bool:
        return self.run.status not in Job.ACTIVE

    @property
    def can_cancel(self) -> bool:
        return not self.ended

    @property
    def can_retry(self) -> bool:
        return self.ended and any(self.counts[s] for s in RETRIED)

    def about(self) -> dict:
        """What the run was asked to make: its drama, scope and options (they do not change)."""
        meta, run = self.run.metadata, self.run
        options = [
            f"only {', '.join(meta['kinds'])}" if meta.get("kinds") else "",
            "forced" if meta.get("force") else "",
            f"{meta['scheduling']} scheduling" if meta.get("scheduling") else "",
        ]
        return {
            "drama": run.drama,
            "drama_url": reverse("admin:dramas_drama_change", args=[run.drama_id]),
            "scope": f"{run.target_type} {run.target_key}" if run.target_type else "whole drama",
            "options": ", ".join(o for o in options if o),
            "planned": meta.get("planned"),
            "satisfied": meta.get("alreadySatisfied"),
            "started_at": run.started_at,
        }

    def summary(self) -> dict:
        total = len(self.rows)
        finished = sum(self.counts[s] for s in Job.FINISHED)
        elapsed = None
        if self.run.started_at:
            elapsed = ((self.run.completed_at or self.now) - self.run.started_at).total_seconds()
        return {
            "status": self.run.status,
            "status_label": status_label(self.run.status),
            "ended": self.ended,
            "percent": self.progress.get("percent", 100.0),
            "finished": finished,
            "total": total,
            "counts": [(s, status_label(s), self.counts[s]) for s in SHOWN if self.counts[s]],
            "cost": usd(self.progress.get("cost_usd")),
            "estimated": usd(self.progress.get("estimated_cost_usd")),
            "eta": self.progress.get("eta_seconds"),
            "eta_label": duration(self.progress.get("eta_seconds")),
            "elapsed": duration(elapsed),
            "in_flight": len(self.progress.get("in_flight", [])),
        }

    def groups(self) -> list[dict]:
        """The nodes by level, then by kind within a level."""
        by = itertools.groupby(self.rows, key=lambda r: (r.job.level, r.job.node or r.job.kind))
        groups = []
        for (level, node), rows in by:
            rows = list(rows)
            counts = Counter(r.job.status for r in rows)
            groups.append({
                "level": level,
                "node": node,
                "rows": [r.as_context() for r in rows],
                "counts": [(s, status_label(s), counts[s]) for s in SHOWN if counts[s]],
            })  # fmt: skip
        return groups

    def failures(self) -> list[dict]:
        return [r.as_context() for r in self.rows if r.job.status == Job.Status.FAILED]

    def fragments(self) -> dict[str, str]:
        """The parts of the page that change while the run goes on, rendered."""
        context = {"summary": self.summary(), "groups": self.groups(),
                   "failures": self.failures()}  # fmt: skip
        axis, rows = timeline_svg(self.rows, start=self.run.started_at, now=self.now,
                                  ended=self.ended)  # fmt: skip
        return {
            "summary": render_to_string("admin/generation/job/run_summary.html", context),
            "failures": render_to_string("admin/generation/job/run_failures.html", context),
            "tree": render_to_string("admin/generation/job/run_tree.html", context),
            "timeline_axis": axis,
            "timeline_rows": rows,
        }

    def as_json(self) -> dict:
        s = self.summary()
        return {
            "id": self.run.public_id,
            "status": self.run.status,
            "ended": self.ended,
            "percent": s["percent"],
            "finished": s["finished"],
            "total": s["total"],
            "counts": {status: self.counts[status] for status in SHOWN},
            "costUsd": self.progress.get("cost_usd"),
            "estimatedCostUsd": self.progress.get("estimated_cost_usd"),
            "etaSeconds": self.progress.get("eta_seconds"),
            "canCancel": self.can_cancel,
            "canRetry": self.can_retry,
            "html": self.fragments(),
        }


def _job_url(pk: int) -> str:
    return reverse("admin:generation_job_change", args=[pk])


# ---------------------------------------------------------------- the timeline
LABEL_W, CHART_W, RIGHT = 210, 700, 28
ROW_H, BAR_H, AXIS_H, PAD = 20, 12, 26, 4
# Seconds between the axis's ticks: the first that gives at most eight.
STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400,
         43200, 86400)  # fmt: skip


def timeline_svg(
    rows: list[NodeRow], *, start: dt.datetime | None, now: dt.datetime, ended: bool
) -> tuple[SafeString, SafeString]:
    """The run's timeline as two SVG drawings: its time axis, and one row per node with a bar
    from its start to its end (or to now while it runs), one `<rect>` per started node.

    The axis is apart so that it stays in view above a long run's rows, which scroll. Both
    are as wide as the page lets them be, and scale alike.
    """
    started = [r for r in rows if r.job.started_at]
    t0 = min([start or now, *(r.job.started_at for r in started)])
    t1 = max([t0 if ended else now, *(r.end for r in started if r.end)])
    span = max((t1 - t0).total_seconds(), 0.5)
    step = next((s for s in STEPS if span / s <= 8), STEPS[-1])

    def x(t: dt.datetime) -> float:
        return round(LABEL_W + (t - t0).total_seconds() / span * CHART_W, 1)

    ticks = [(round(LABEL_W + k * step / span * CHART_W, 1), _tick_label(k * step))
             for k in range(int(span / step) + 1)]  # fmt: skip
    axis = _svg("tl-axis", AXIS_H, 'aria-hidden="true"', [
        format_html('<text class="tl-caption" x="{}" y="{}" text-anchor="end">node · target'
                    "</text>", LABEL_W - 8, AXIS_H - 10),
        format_html('<line class="tl-rule" x1="{}" y1="{}" x2="{}" y2="{}"/>',
                    LABEL_W, AXIS_H - 1, LABEL_W + CHART_W, AXIS_H - 1),
        *(format_html('<line class="tl-tick" x1="{0}" y1="{1}" x2="{0}" y2="{2}"/><text '
                      'class="tl-time" x="{0}" y="{3}" text-anchor="middle">{4}</text>',
                      t, AXIS_H - 6, AXIS_H - 1, AXIS_H - 10, label) for t, label in ticks),
    ])  # fmt: skip

    height = max(len(rows), 1) * ROW_H + 2 * PAD
    parts = [format_html('<line class="tl-grid" x1="{0}" y1="0" x2="{0}" y2="{1}"/>', t, height)
             for t, _ in ticks]  # fmt: skip
    if not ended:
        parts.append(format_html('<line class="tl-now" x1="{0}" y1="0" x2="{0}" y2="{1}">'
                                 "<title>now</title></line>", x(now), height))  # fmt: skip
    for i, row in enumerate(rows):
        job, y = row.job, i * ROW_H + PAD
        parts.append(format_html(
            '<text class="tl-label" x="{}" y="{}" text-anchor="end">{}<tspan class="tl-key"> {}'
            "</tspan></text>",
            LABEL_W - 8, y + BAR_H - 2, job.node or job.kind, job.target_key,
        ))  # fmt: skip
        if job.started_at is None:
            parts.append(format_html(
                '<text class="tl-none" x="{}" y="{}">not started · {}</text>',
                LABEL_W + 4, y + BAR_H - 2, status_label(job.status),
            ))  # fmt: skip
            continue
        left, right = x(job.started_at), x(row.end or job.started_at)
        parts.append(format_html(
            '<rect class="tl-bar st-{}" data-node="{}" x="{}" y="{}" width="{}" height="{}" '
            'rx="2"><title>{} — {}, {} (from {}){}</title></rect>',
            job.status, job.public_id, left, y, max(round(right - left, 1), 2), BAR_H,
            row.label, status_label(job.status), duration(row.seconds),
            _tick_label((job.started_at - t0).total_seconds()), row.rendering,
        ))  # fmt: skip
    label = format_html('role="img" aria-label="Timeline of the run: {} nodes, {} started"',
                        len(rows), len(started))  # fmt: skip
    return axis, _svg("tl-rows", height, label, parts)


def _svg(css_class: str, height: int, attributes: str, parts: list[str]) -> SafeString:
    """A drawing as wide as its container, `height` units high at the full width."""
    width = LABEL_W + CHART_W + RIGHT
    return format_html(
        '<svg class="{}" xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {} {}" '
        'preserveAspectRatio="xMinYMin meet" {}>{}</svg>',
        css_class, width, height, attributes,
        mark_safe("".join(parts)),  # noqa: S308  (each part was escaped by format_html)
    )  # fmt: skip


# ---------------------------------------------------------------- views
def run_of(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> Job:
    """The run; 403 to a user who may not view jobs, 404 for anything but a run."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    job = model_admin.get_object(request, unquote(object_id))
    if job is None or job.kind != Job.Kind.DAG:
        raise Http404("No such run.")
    return job


def progress_view(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """What the run's page polls: counts, percent, costs, and its changing parts rendered."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    run = run_of(model_admin, request, object_id)
    page = RunPage(run, can_steer=model_admin.has_steer_permission(request))
    return JsonResponse(page.as_json())  # never cached: admin_view sees to it


def steer_view(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    object_id: str,
    *,
    steer: Callable,
    done: str,
) -> HttpResponse:
    """A run's cancel or retry button: the service is called, and the run's page says what it
    did or why it refused."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    run = run_of(model_admin, request, object_id)
    if not model_admin.has_steer_permission(request):
        raise PermissionDenied
    steer_message(request, run, steer, done)
    return HttpResponseRedirect(_job_url(run.pk))


def steer_message(request: HttpRequest, job: Job, steer: Callable, done: str) -> bool:
    """Calls the service (`runs.run_cancel`, `runs.run_retry`) on the run and leaves a message
    saying what happened or why it was refused; returns whether it was done."""
    if job.kind != Job.Kind.DAG:
        messages.warning(
            request, f"Skipped {job.public_id}: not a generation run (kind {job.kind})."
        )
        return False
    try:
        steer(run=job)
    except DomainError as exc:
        messages.warning(request, f"Skipped {job.public_id}: {exc}")
        return False
    messages.success(request, f"Run {job.public_id}: {done}.")
    return True
