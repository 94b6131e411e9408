"""Jobs in the admin, and generation's actions on dramas.

Jobs are read-only: a run and its nodes change only through the actions and the run page's
buttons, which call the same services as the API (cancel, retry), so the admin never writes
over what a worker is doing. A run's page (`admin_views`) shows its tree and timeline.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.db.models import Case, Max, Q, QuerySet, When
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from dramas.models import Drama
from generation import admin_views, runs
from generation.models import Job
from generation.selectors import with_run_progress

STEER = "generation.change_job"


class DramaFilter(admin.SimpleListFilter):
    """The dramas with the latest jobs (and the one chosen); any other is found by the search.

    Listing every drama would grow the sidebar, and its query, with the library."""

    title = "drama (latest with jobs)"
    parameter_name = "drama__id__exact"  # the drama's page links here with it
    SHOWN = 15

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        chosen = int(self.value()) if (self.value() or "").isdigit() else None
        # One query, the chosen drama first (it may be older than the latest).
        dramas = (
            Drama.objects.annotate(last_job=Max("jobs__created_at"))
            .filter(Q(last_job__isnull=False) | Q(pk=chosen))
            .order_by(Case(When(pk=chosen, then=0), default=1), "-last_job", "-pk")
            .only("id", "title", "public_id")[: self.SHOWN + (chosen is not None)]
        )
        return [(str(d.pk), str(d)) for d in dramas]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> QuerySet[Job]:
        return queryset.filter(drama_id=self.value()) if self.value() else queryset


class PartOfFilter(admin.SimpleListFilter):
    title = "part of"
    parameter_name = "part_of"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("nothing", "nothing (runs, scripts)"), ("run", "a run (its nodes)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Job]) -> QuerySet[Job]:
        if self.value() == "nothing":
            return queryset.filter(parent=None)
        if self.value() == "run":
            return queryset.exclude(parent=None)
        return queryset


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    # Few columns, a run's progress with its status: it shows beside the sidebars without
    # scrolling.
    list_display = ("public_id", "state", "what", "drama", "created", "took")
    list_filter = ("kind", "status", PartOfFilter, "node", DramaFilter)
    list_select_related = ("drama",)
    search_fields = ("public_id", "drama__title", "drama__public_id")
    ordering = ("-created_at", "-id")
    actions = ("cancel_runs", "retry_runs")
    change_form_template = "admin/generation/job/change_form.html"
    change_list_template = "admin/generation/job/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Job]:
        return with_run_progress(super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False

    def has_steer_permission(self, request: HttpRequest) -> bool:
        """Who may cancel and retry runs: those allowed to change jobs, were it possible."""
        return request.user.has_perm(STEER)

    # ------------------------------------------------------------ the list
    @admin.display(description="Status", ordering="status")
    def state(self, job: Job) -> str:
        """The status; a run's with its progress, its nodes finished of all and those failed."""
        if job.kind != Job.Kind.DAG:
            return job.get_status_display()
        if not job.run_total:
            return format_html("{}<br>no nodes", job.get_status_display())
        failed = (
            format_html(", <strong>{} failed</strong>", job.run_failed) if job.run_failed else ""
        )
        return format_html(
            '{}<br><progress value="{}" max="{}">{}/{}</progress> {}/{}{}',
            job.get_status_display(), job.run_finished, job.run_total, job.run_finished,
            job.run_total, job.run_finished, job.run_total, failed,
        )  # fmt: skip

    @admin.display(description="What", ordering="kind")
    def what(self, job: Job) -> str:
        if job.kind == Job.Kind.DAG:
            scope = f"{job.target_type} {job.target_key}" if job.target_type else "whole drama"
            return f"run · {scope}"
        if job.node:
            return f"{job.node} · {job.target_key}"
        return job.kind

    @admin.display(description="Created", ordering="created_at")
    def created(self, job: Job) -> str:
        return date_format(localtime(job.created_at), "Y-m-d H:i:s")

    @admin.display(description="Took")
    def took(self, job: Job) -> str | None:
        if job.started_at is None or job.completed_at is None:
            return None
        return admin_views.duration((job.completed_at - job.started_at).total_seconds())

    # ------------------------------------------------------------ a run's page
    def get_fieldsets(self, request: HttpRequest, obj: Job | None = None) -> list:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.kind == Job.Kind.DAG:
            # The run's page is its tree and timeline; the raw record is there when wanted.
            fields = [f for _, options in fieldsets for f in options["fields"]]
            return [("The run's record", {"fields": fields, "classes": ["collapse"]})]
        return fieldsets

    def render_change_form(
        self, request: HttpRequest, context: dict, add: bool = False, change: bool = False,
        form_url: str = "", obj: Job | None = None,
    ) -> TemplateResponse:  # fmt: skip
        if obj is not None and obj.kind == Job.Kind.DAG:
            page = admin_views.RunPage(obj, can_steer=self.has_steer_permission(request))
            context.update({
                "title": f"Run of {obj.drama}",
                # Not the job's str(), whose status would go stale while the page updates.
                "subtitle": obj.public_id,
                "run": page,
                "about": page.about(),
                "run_html": page.fragments(),
                "run_percent": page.summary()["percent"],
                "poll_ms": admin_views.POLL_MS,
                "progress_url": reverse("admin:generation_job_run_progress", args=[obj.pk]),
            })  # fmt: skip
        elif obj is not None and obj.parent_id:
            context["parent_url"] = reverse("admin:generation_job_change", args=[obj.parent_id])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        # Before the admin's own, whose `<path:object_id>/` would take them.
        return [
            path("<path:object_id>/progress/", wrap(self.run_progress_view),
                 name="generation_job_run_progress"),
            path("<path:object_id>/cancel/", wrap(self.run_cancel_view),
                 name="generation_job_run_cancel"),
            path("<path:object_id>/retry/", wrap(self.run_retry_view),
                 name="generation_job_run_retry"),
            *super().get_urls(),
        ]  # fmt: skip

    def run_progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.progress_view(self, request, object_id)

    def run_cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.steer_view(
            self, request, object_id, steer=runs.run_cancel, done="cancelled"
        )

    def run_retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.steer_view(
            self, request, object_id, steer=runs.run_retry, done="retrying"
        )

    # ------------------------------------------------------------ actions
    @admin.action(description="Cancel the selected runs", permissions=["steer"])
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each_run(request, queryset, runs.run_cancel, "cancelled")

    @admin.action(
        description="Retry the failed, skipped and cancelled nodes of the selected runs",
        permissions=["steer"],
    )
    def retry_runs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        self._each_run(request, queryset, runs.run_retry, "retrying")

    def _each_run(
        self, request: HttpRequest, queryset: QuerySet[Job], steer: Callable, done: str
    ) -> None:
        for job in queryset:
            admin_views.steer_message(request, job, steer, done)


# Generation's actions on dramas, characters, scenes and assets live beside this module.
from generation import admin_dramas  # noqa: E402, F401  (registers them)
