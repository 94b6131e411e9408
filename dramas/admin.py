"""The script in the admin. Generation adds its actions and the drama's jobs (generation.admin)."""

from __future__ import annotations

from django.contrib import admin

from dramas import services
from dramas.models import Character, DialogueLine, Drama, Episode, Scene


def _choose_from(field, queryset) -> None:
    """The field offers these rows, read once for the whole formset (not once per row)."""
    field.queryset = queryset
    field.choices = list(field.choices)


class CharacterInline(admin.TabularInline):
    model = Character
    extra = 0
    fields = ("key", "name", "role", "appearance", "voice", "order")


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
    ordering = ("episode__number", "number")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            # On a drama's page or an episode's: the episodes of that drama.
            drama = obj if isinstance(obj, Drama) else obj.drama
            _choose_from(formset.form.base_fields["episode"], drama.episodes.all())
        return formset


class BumpsTheDramaVersion:
    """An admin edit is a write like any other: it moves the drama's version, so API clients
    holding the old ETag get 412 instead of overwriting it."""

    def drama_of(self, obj):
        return obj.drama

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.drama_bump_version(drama=self.drama_of(form.instance))

    def delete_model(self, request, obj) -> None:
        drama = self.drama_of(obj)
        super().delete_model(request, obj)
        services.drama_bump_version(drama=drama)


@admin.register(Drama)
class DramaAdmin(admin.ModelAdmin):
    list_display = ("title", "public_id", "owner", "genre", "status", "version", "created_at")
    list_filter = ("status", "genre")
    list_select_related = ("owner",)
    search_fields = ("title", "public_id", "premise")
    raw_id_fields = ("owner",)
    readonly_fields = ("public_id", "version", "critique", "created_at", "updated_at")
    inlines = (CharacterInline, EpisodeInline, SceneInline)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # An admin edit moves the version too (see BumpsTheDramaVersion).
        if change:
            services.drama_bump_version(drama=form.instance)


class DialogueInline(admin.TabularInline):
    model = DialogueLine
    extra = 0
    fields = ("order", "character", "line")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            _choose_from(formset.form.base_fields["character"], obj.drama.characters.all())
        return formset


@admin.register(Scene)
class SceneAdmin(BumpsTheDramaVersion, admin.ModelAdmin):
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
class CharacterAdmin(BumpsTheDramaVersion, admin.ModelAdmin):
    list_display = ("key", "name", "role", "voice", "drama")
    list_select_related = ("drama",)
    search_fields = ("key", "name", "drama__title")
    raw_id_fields = ("drama",)


@admin.register(Episode)
class EpisodeAdmin(BumpsTheDramaVersion, admin.ModelAdmin):
    list_display = ("key", "number", "title", "drama")
    list_select_related = ("drama",)
    search_fields = ("key", "title", "drama__title")
    raw_id_fields = ("drama",)
    inlines = (SceneInline,)


@admin.register(DialogueLine)
class DialogueLineAdmin(BumpsTheDramaVersion, admin.ModelAdmin):
    list_display = ("scene", "order", "character", "line")
    list_select_related = ("scene", "character")
    raw_id_fields = ("scene", "character")

    def drama_of(self, obj):
        return obj.scene.drama
