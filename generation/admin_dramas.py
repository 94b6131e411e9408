"""Generation's part of the script's admin: the actions that start background work on a drama
(generate, improve, critique) and the drama's jobs. Registered by `generation.admin`."""

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
