"""Reads of dramas, each with its related rows fetched in a fixed number of queries."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from dramaplatform.errors import NotFound
from dramas.models import Character, DialogueLine, Drama, Episode, Scene


def dramas_visible_to(user: AbstractBaseUser) -> QuerySet[Drama]:
    """Staff see every drama; everyone else only their own."""
    if user.is_staff:
        return Drama.objects.all()
    return Drama.objects.filter(owner=user)


def _count_of(model, **filters) -> Coalesce:
    counted = (
        model.objects.filter(drama=OuterRef("pk"), **filters)
        .order_by()
        .values("drama")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def drama_list(
    *,
    user: AbstractBaseUser,
    status: str | None = None,
    genre: str | None = None,
    search: str | None = None,
) -> QuerySet[Drama]:
    dramas = dramas_visible_to(user).annotate(
        character_count=_count_of(Character), episode_count=_count_of(Episode)
    )
    if status:
        dramas = dramas.filter(status=status)
    if genre:
        dramas = dramas.filter(genre__iexact=genre)
    if search:
        dramas = dramas.filter(title__icontains=search)
    return dramas


def _scene_prefetches() -> list[Prefetch]:
    return [
        Prefetch("characters", queryset=Character.objects.only("id", "key")),
        Prefetch("dialogue", queryset=DialogueLine.objects.select_related("character")),
    ]


def drama_get(*, user: AbstractBaseUser, public_id: str, detail: bool = True) -> Drama:
    """The drama, with the whole script when `detail` is set: characters, episodes, their
    scenes with cast and dialogue, one query a level.

    Raises NotFound for unknown ids and for other users' dramas alike.
    """
    dramas = dramas_visible_to(user)
    if detail:
        dramas = dramas.prefetch_related(
            "characters",
            Prefetch(
                "episodes",
                queryset=Episode.objects.prefetch_related(
                    Prefetch(
                        "scenes", queryset=Scene.objects.prefetch_related(*_scene_prefetches())
                    ),
                ),
            ),
        )
    drama = dramas.filter(public_id=public_id).first()
    if drama is None:
        raise NotFound(f"No drama with id '{public_id}'.")
    return drama


def character_list(*, drama: Drama) -> QuerySet[Character]:
    return drama.characters.all()


def character_get(*, drama: Drama, key: str) -> Character:
    character = character_list(drama=drama).filter(key=key).first()
    if character is None:
        raise NotFound(f"No character with id '{key}' in this drama.")
    return character


def episode_list(*, drama: Drama) -> QuerySet[Episode]:
    return drama.episodes.all()


def episode_get(*, drama: Drama, key: str) -> Episode:
    episode = episode_list(drama=drama).filter(key=key).first()
    if episode is None:
        raise NotFound(f"No episode with id '{key}' in this drama.")
    return episode


def scene_list(*, episode: Episode) -> QuerySet[Scene]:
    return episode.scenes.select_related("episode", "drama").prefetch_related(*_scene_prefetches())


def scene_get(*, episode: Episode, key: str) -> Scene:
    scene = scene_list(episode=episode).filter(key=key).first()
    if scene is None:
        raise NotFound(f"No scene with id '{key}' in episode '{episode.key}'.")
    return scene


def count_per_drama(model) -> Coalesce:
    """An annotation for a Drama queryset: how many rows of `model` (characters, episodes,
    scenes) each drama has, as one subquery (0 when none)."""
    rows = (
        model.objects.filter(drama=OuterRef("pk"))
        .order_by()
        .values("drama")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)
