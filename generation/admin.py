"""Jobs in the admin, and generation's actions on dramas.

Jobs are read-only: a run and its nodes change only through the actions, which call the same
services as the API (cancel, retry), so the admin never writes over what a worker is doing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from dramaplatform.errors import DomainError
from generation import runs
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


# Generation's actions on dramas, characters, scenes and assets live beside this module.
from generation import admin_dramas  # noqa: E402, F401  (registers them)
