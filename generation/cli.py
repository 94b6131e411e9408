"""The terminal's view of generation: following a run or a script job, its progress line,
the summary table, and the work a command can do itself when no worker is running.

Following polls the database; the work is done by `manage.py worker`, or, with
`work_here`, in this process one due job at a time (as a worker would take them).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, defaultdict
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.utils import timezone

from dramas.models import Drama
from generation import selectors, tasks
from generation.models import Job
from generation.services import claimable

logger = logging.getLogger(__name__)

BAR_WIDTH = 24
# How often a follower without a terminal writes a line, when nothing has changed.
PLAIN_PERIOD = 5.0
POLL = 0.25
SHOWN = ("completed", "running", "queued", "pending", "awaiting_approval", "failed", "skipped",
         "cancelled")  # fmt: skip
SHORT = {"completed": "done", "awaiting_approval": "awaiting approval"}


def dumps(document: Any) -> str:
    return json.dumps(document, cls=DjangoJSONEncoder, indent=2)


# ---------------------------------------------------------------- doing the work here
def next_due(*, drama: Drama) -> Job | None:
    """The drama's most urgent job that a worker could take now."""
    return (
        Job.objects.filter(claimable(), drama=drama)
        .order_by("-priority", "id")
        .only("id", "public_id", "kind", "node", "target_key")
        .first()
    )


def work_one(job: Job) -> None:
    """Runs the job in this process, as a worker's task would. A job that raised is failed by
    the task (which keeps the error): following goes on."""
    try:
        tasks.run_job(job.pk)
    except Exception:
        logger.exception("job %s raised; it is failed and the run goes on", job.public_id)


# ---------------------------------------------------------------- reading a run
def status_counts(run: Job) -> dict[str, int]:
    rows = Job.objects.filter(parent=run).values_list("status").annotate(n=Count("id"))
    return dict(rows.order_by())


def run_report(run: Job) -> dict:
    """A run as one JSON-ready document: status, counts, counts by kind, progress, cost, time."""
    fields = ("node", "status", "metadata", "error", "target_key")
    nodes = list(Job.objects.filter(parent=run).values_list(*fields))
    by_kind: dict[str, Counter] = defaultdict(Counter)
    cost_by_kind: Counter = Counter()
    errors = []
    for node, status, meta, error, key in nodes:
        by_kind[node][status] += 1
        if meta.get("satisfied"):
            by_kind[node]["already_made"] += 1
        cost_by_kind[node] += float(meta.get("costUsd") or 0)
        if status == Job.Status.FAILED:
            errors.append({"node": node, "target_key": key, "error": error})
    progress = selectors.run_progress(job=run) or {}
    return {
        "id": run.public_id,
        "status": run.status,
        "scope": run.metadata.get("scope", "drama"),
        "key": run.metadata.get("key"),
        "counts": {**Counter(status for _, status, *_ in nodes), "total": len(nodes)},
        "by_kind": {k: dict(v) for k, v in by_kind.items()},
        "cost_by_kind_usd": {k: round(v, 6) for k, v in cost_by_kind.items()},
        "progress": progress,
        "failures": errors,
        "started_at": run.started_at,
        "completed_at": run.completed_at,
        "seconds": elapsed(run),
    }


def elapsed(job: Job) -> float | None:
    if job.started_at is None:
        return None
    end = job.completed_at or timezone.now()
    return round((end - job.started_at).total_seconds(), 1)


def latest_run(drama: Drama) -> Job | None:
    return Job.objects.filter(drama=drama, kind=Job.Kind.DAG, parent=None).order_by("-id").first()


# ---------------------------------------------------------------- rendering
def bar(percent: float, width: int = BAR_WIDTH) -> str:
    filled = round(width * percent / 100)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def progress_line(run: Job) -> str:
    """One line: a bar, the percent, the counts by status, the nodes in flight, the cost."""
    progress = selectors.run_progress(job=run) or {}
    counts = status_counts(run)
    parts = [f"{n} {SHORT.get(s, s)}" for s in SHOWN if (n := counts.get(s))]
    flying = [
        f"{f['node']} {f['target_key']}"
        + (f" {f['render_progress']}%" if f.get("render_progress") is not None else "")
        for f in progress.get("in_flight", [])
    ]
    line = f"{bar(progress.get('percent', 0.0))} {progress.get('percent', 0.0):5.1f}%  "
    line += ", ".join(parts) or "no nodes"
    if flying:
        line += "  | " + ", ".join(flying[:3]) + (" …" if len(flying) > 3 else "")
    line += f"  | ${progress.get('cost_usd', 0.0):.4f}"
    if progress.get("eta_seconds") and run.status in Job.ACTIVE:
        line += f"  | ~{progress['eta_seconds']:.0f}s left"
    return line


def plan_table(summary: dict) -> str:
    """The dry run as text: nodes to make and already made per kind, cost per provider."""
    rows: dict[str, list[int]] = {str(n): [0, 0] for n in Job.Node.values}
    for r in summary["to_make"]:
        rows[r["node"]][0] += 1
    for r in summary["satisfied"]:
        rows[r["node"]][1] += 1
    lines = [f"{'node':<16}{'to make':>9}{'already made':>14}"]
    for node, (make, made) in rows.items():
        if make or made:
            lines.append(f"{node:<16}{make:>9}{made:>14}")
    total = (len(summary["to_make"]), len(summary["satisfied"]))
    lines.append(f"{'total':<16}{total[0]:>9}{total[1]:>14}")
    cost = summary["estimated_cost_usd"]
    lines.append("")
    lines.append("estimated cost")
    for provider, usd in sorted(cost["by_provider"].items()):
        lines.append(f"  {provider:<22}{money(usd):>12}")
    lines.append(f"  {'total':<22}{money(cost['total']):>12}")
    return "\n".join(lines)


def money(usd: float | None) -> str:
    return "unknown" if usd is None else f"${usd:.4f}"


def summary_table(report: dict) -> str:
    """The run's nodes by kind and status, its cost and its time."""
    columns = ("completed", "already_made", "failed", "skipped", "cancelled")
    heads = {"completed": "done", "already_made": "(reused)"}
    lines = [f"{'node':<16}" + "".join(f"{heads.get(c, c):>10}" for c in columns) + f"{'cost':>11}"]
    totals: Counter = Counter()
    order = [n for n in Job.Node.values if n in report["by_kind"]]
    for node in order:
        counts = report["by_kind"][node]
        totals.update(counts)
        cost = report["cost_by_kind_usd"].get(node, 0.0)
        lines.append(
            f"{node:<16}"
            + "".join(f"{counts.get(c, 0):>10}" for c in columns)
            + f"{money(cost):>11}"
        )
    cost = report["progress"].get("cost_usd", 0.0)
    sums = "".join(f"{totals.get(c, 0):>10}" for c in columns)
    lines.append(f"{'total':<16}{sums}{money(cost):>11}")
    took = report["seconds"]
    lines.append(
        f"run {report['id']} {report['status']}: {report['counts']['total']} nodes, "
        f"cost {money(cost)}" + (f", {took:.1f} s" if took is not None else "")
    )
    for failure in report["failures"]:
        lines.append(f"  failed {failure['node']} {failure['target_key']}: {failure['error']}")
    return "\n".join(lines)


# ---------------------------------------------------------------- following
class Follower:
    """Follows a job until it ends, writing progress to `out` (an OutputWrapper or a file).

    On a terminal the progress line is rewritten in place; otherwise a plain line is written
    when it changes, at most once a second, and at least every PLAIN_PERIOD seconds. `quiet`
    writes nothing (for --json)."""

    def __init__(self, out, *, tty: bool, work_here: bool, quiet: bool = False) -> None:
        self.out, self.tty, self.work_here, self.quiet = out, tty, work_here, quiet
        if work_here:
            # The broker's messages wake workers; here they only clutter the progress.
            logging.getLogger("django-q").setLevel(logging.WARNING)
        self._last_line = ""
        self._last_at = 0.0

    def run(self, run: Job, *, timeout: float | None = None) -> Job:
        """Follows the run until it ends; returns it, refreshed."""
        self._follow(run, timeout=timeout, line=lambda: progress_line(run))
        return run

    def script(self, job: Job, *, timeout: float | None = None) -> Job:
        """Follows a script job until the script is written or has failed."""

        def line() -> str:
            tried = f", try {job.attempts}" if job.attempts > 1 else ""
            return f"script {job.public_id}: {job.status}{tried}"

        self._follow(job, timeout=timeout, line=line)
        return job

    def _follow(self, job: Job, *, timeout: float | None, line) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        drama = job.drama
        self._last_line, self._last_at = "", 0.0
        while True:
            job.refresh_from_db()
            ended = job.status not in Job.ACTIVE
            self._show(line(), force=ended)
            if ended:
                break
            if self._stuck_on_approval(job):
                self._show(line() + "  (waiting for storyboard approval in the admin)", force=True)
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{job.public_id} is still {job.status}")
            due = next_due(drama=drama) if self.work_here else None
            if due is None:
                time.sleep(POLL)
                continue
            if due.node:  # the node made here is the one in flight
                self._show(f"{line()}  | making {due.node} {due.target_key}")
            work_one(due)
        if self.tty and not self.quiet:
            self.out.write("")  # end the line rewritten in place

    def _stuck_on_approval(self, job: Job) -> bool:
        if job.kind != Job.Kind.DAG:
            return False
        counts = status_counts(job)
        open_ = sum(counts.get(s, 0) for s in ("queued", "running", "pending"))
        return bool(counts.get("awaiting_approval")) and not open_

    def _show(self, line: str, *, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            self.out.write("\r" + line + "\x1b[K", ending="")
            self.out.flush()
            return
        changed = line != self._last_line
        if (changed and now - self._last_at >= 1.0) or now - self._last_at >= PLAIN_PERIOD or force:
            self.out.write(line)
            self._last_line, self._last_at = line, now
