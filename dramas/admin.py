from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from dramaplatform.errors import Conflict
from dramas import services
from dramas.models import Character, DialogueLine, Drama, Episode, Scene


class CharacterInline(admin.TabularInline):
    model = Character
    extra = 0
    fields = ("key", "name", "role", "appearance", "order")


class EpisodeInline(admin.TabularInline):
    model = Episode
    extra = 0
    fields = ("key", "number", "title", "synopsis")
    show_change_link = True


class SceneInline(admin.TabularInline):
    model = Scene
    extra = 0
    fields = ("key", "episode", "number", "title", "location", "time_of_day")
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            formset.form.base_fields["episode"].queryset = obj.episodes.all()
        return formset


class ImproveActionForm(ActionForm):
    feedback = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"size": 60, "placeholder": "Feedback for 'improve'"}),
    )


@admin.register(Drama)
class DramaAdmin(admin.ModelAdmin):
    list_display = ("title", "public_id", "owner", "genre", "status", "version", "created_at")
    list_filter = ("status", "genre")
    list_select_related = ("owner",)
    search_fields = ("title", "public_id", "premise")
    raw_id_fields = ("owner",)
    readonly_fields = ("public_id", "version", "critique", "created_at", "updated_at", "jobs")
    inlines = (CharacterInline, EpisodeInline, SceneInline)
    action_form = ImproveActionForm
    actions = ("improve", "critique")

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # An admin edit is a write like any other: it moves the version, so API clients
        # holding the old ETag get 412 instead of overwriting it.
        if change:
            services.drama_bump_version(drama=form.instance)

    @admin.display(description="Jobs")
    def jobs(self, obj: Drama) -> str:
        url = reverse("admin:generation_job_changelist") + f"?drama__id__exact={obj.pk}"
        return format_html('<a href="{}">{} job(s)</a>', url, obj.jobs.count())

    @admin.action(description="Improve with the feedback above")
    def improve(self, request: HttpRequest, queryset: QuerySet[Drama]) -> None:
        feedback = request.POST.get("feedback", "").strip()
        if not feedback:
            self.message_user(request, "Write the feedback first.", messages.ERROR)
            return
        self._queue(request, queryset, lambda d: services.drama_request_improve(
            drama=d, feedback=feedback))  # fmt: skip

    @admin.action(description="Critique the script")
    def critique(self, request: HttpRequest, queryset: QuerySet[Drama]) -> None:
        self._queue(request, queryset, lambda d: services.drama_request_critique(drama=d))

    def _queue(self, request: HttpRequest, queryset: QuerySet[Drama], start) -> None:
        for drama in queryset:
            try:
                services.require_script(drama=drama)
            except Conflict as exc:
                self.message_user(request, f"{drama}: {exc}", messages.WARNING)
                continue
            job = start(drama)
            self.message_user(request, f"{drama}: queued {job.public_id}.")


class DialogueInline(admin.TabularInline):
    model = DialogueLine
    extra = 0
    fields = ("order", "character", "line")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            formset.form.base_fields["character"].queryset = obj.drama.characters.all()
        return formset


@admin.register(Scene)
class SceneAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "drama", "episode", "number")
    list_select_related = ("drama", "episode")
    search_fields = ("key", "title", "drama__title")
    raw_id_fields = ("drama", "episode")
    filter_horizontal = ("characters",)
    inlines = (DialogueInline,)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        scene_id = request.resolver_match.kwargs.get("object_id")
        if db_field.name == "characters" and scene_id:
            kwargs["queryset"] = Character.objects.filter(drama__scenes__pk=scene_id)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "role", "drama")
    list_select_related = ("drama",)
    search_fields = ("key", "name", "drama__title")
    raw_id_fields = ("drama",)


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    list_display = ("key", "number", "title", "drama")
    list_select_related = ("drama",)
    search_fields = ("key", "title", "drama__title")
    raw_id_fields = ("drama",)
    inlines = (SceneInline,)


@admin.register(DialogueLine)
class DialogueLineAdmin(admin.ModelAdmin):
    list_display = ("scene", "order", "character", "line")
    list_select_related = ("scene", "character")
    raw_id_fields = ("scene", "character")
