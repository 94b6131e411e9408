"""Jobs in the admin, and generation's actions on dramas.

Jobs are read-only: a run and its nodes change only through the actions, which call the same
services as the API (cancel, retry), so the admin never writes over what a worker is doing.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from dramaplatform.errors import DomainError
from dramas import admin as script_admin
from dramas.models import Drama
from generation import runs, script_jobs
from generation.models import Job

STEER = "generation.change_job"


class ChildInline(admin.TabularInline):
    model = Job
    fk_name = "parent"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("public_id", "node", "kind", "target_type", "target_key", "status", "attempts",
              "error")  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("public_id", "kind", "node", "target_key", "status", "drama", "attempts",
                    "created_at", "completed_at")  # fmt: skip
    list_filter = ("status", "kind")
    list_select_related = ("drama",)
    search_fields = ("public_id", "drama__title", "drama__public_id")
    inlines = (ChildInline,)
    actions = ("cancel_runs", "retry_runs")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False

    def has_steer_permission(self, request: HttpRequest) -> bool:
        """Who may cancel and retry runs: those allowed to change jobs, were it possible."""
        return request.user.has_perm(STEER)

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
            if job.kind != Job.Kind.DAG:
                self.message_user(
                    request, f"Skipped {job.public_id}: not a generation run (kind {job.kind}).",
                    messages.WARNING,
                )  # fmt: skip
                continue
            try:
                steer(run=job)
            except DomainError as exc:
                self.message_user(request, f"Skipped {job.public_id}: {exc}", messages.WARNING)
                continue
            self.message_user(request, f"Run {job.public_id}: {done}.")


# ---------------------------------------------------------------- dramas
class GenerationActionForm(ActionForm):
    feedback = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"size": 60, "placeholder": "Feedback for 'improve'"}),
    )


admin.site.unregister(Drama)


@admin.register(Drama)
class DramaAdmin(script_admin.DramaAdmin):
    """The script's admin, with the actions that start background work and the drama's jobs."""

    readonly_fields = (*script_admin.DramaAdmin.readonly_fields, "jobs")
    action_form = GenerationActionForm
    actions = ("generate", "improve", "critique")

    @admin.display(description="Jobs")
    def jobs(self, obj: Drama) -> str:
        url = reverse("admin:generation_job_changelist") + f"?drama__id__exact={obj.pk}"
        return format_html('<a href="{}">{} job(s)</a>', url, obj.jobs.count())

    @admin.action(description="Generate the media not made yet", permissions=["change"])
    def generate(self, request: HttpRequest, queryset: QuerySet[Drama]) -> None:
        self._start(request, queryset, lambda d: runs.run_start(drama=d))

    @admin.action(description="Improve with the feedback above", permissions=["change"])
    def improve(self, request: HttpRequest, queryset: QuerySet[Drama]) -> None:
        feedback = request.POST.get("feedback", "").strip()
        if not feedback:
            self.message_user(request, "Write the feedback first.", messages.ERROR)
            return
        self._start(request, queryset, lambda d: script_jobs.drama_request_improve(
            drama=d, feedback=feedback))  # fmt: skip

    @admin.action(description="Critique the script", permissions=["change"])
    def critique(self, request: HttpRequest, queryset: QuerySet[Drama]) -> None:
        self._start(request, queryset, lambda d: script_jobs.drama_request_critique(drama=d))

    def _start(
        self, request: HttpRequest, queryset: QuerySet[Drama], start: Callable[[Drama], Job]
    ) -> None:
        for drama in queryset:
            try:
                job = start(drama)
            except DomainError as exc:
                self.message_user(request, f"{drama}: {exc}", messages.WARNING)
                continue
            self.message_user(request, f"{drama}: queued {job.public_id}.")
