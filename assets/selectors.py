"""Reads of assets, and of the script's entities with their current assets."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Model, Prefetch, QuerySet, prefetch_related_objects

from assets.models import Asset
from dramaplatform.errors import NotFound
from dramas import selectors as script
from dramas.models import Character, Drama, Episode, Scene

MODERATE = "assets.moderate_asset"


def can_moderate(user: AbstractBaseUser) -> bool:
    return user.has_perm(MODERATE)


def assets_visible_to(user: AbstractBaseUser) -> QuerySet[Asset]:
    """Staff and moderators see every asset; everyone else only their own."""
    assets = Asset.objects.select_related("owner", "reviewed_by", "job", "drama")
    if user.is_staff or can_moderate(user):
        return assets
    return assets.filter(owner=user)


def asset_list(
    *,
    user: AbstractBaseUser,
    media_type: str | None = None,
    kind: str | None = None,
    tag: str | None = None,
    project: str | None = None,
    review_status: str | None = None,
    current: bool | None = None,
) -> QuerySet[Asset]:
    assets = assets_visible_to(user)
    filters = {
        "media_type": media_type,
        "kind": kind,
        "tag": tag,
        "project": project,
        "review_status": review_status,
        "is_current": current,
    }
    assets = assets.filter(**{k: v for k, v in filters.items() if v not in (None, "")})
    if review_status == Asset.Review.PENDING:
        # The review queue: oldest first, so nothing waits forever.
        return assets.order_by("created_at", "id")
    return assets.order_by("-created_at", "-id")


def asset_get(*, user: AbstractBaseUser, public_id: str) -> Asset:
    asset = assets_visible_to(user).filter(public_id=public_id).first()
    if asset is None:
        raise NotFound(f"No asset with id '{public_id}'.")
    return asset


def asset_versions(*, asset: Asset) -> QuerySet[Asset]:
    return (
        Asset.objects.filter(slot=asset.slot)
        .select_related("owner", "reviewed_by", "job", "drama")
        .order_by("-version")
    )


def own_media_target(
    *,
    user: AbstractBaseUser,
    drama_id: str,
    character_id: str = "",
    episode_id: str = "",
    scene_id: str = "",
) -> Character | Scene:
    """The character, or the scene, a client's image is for (see asset_attach). Raises
    NotFound for unknown ids and for other users' dramas alike."""
    drama = script.drama_get(user=user, public_id=drama_id, detail=False)
    if character_id:
        character = script.character_get(drama=drama, key=character_id)
        character.drama = drama
        return character
    episode = script.episode_get(drama=drama, key=episode_id)
    return script.scene_get(episode=episode, key=scene_id)


def scene_assets(*, scene: Scene, include_versions: bool = False) -> QuerySet[Asset]:
    assets = scene.assets.all() if include_versions else scene.assets.filter(is_current=True)
    return assets.order_by("kind", "-version")


# ---------------------------------------------------------------- the script with its media
# Each read of the script (dramas.selectors) plus one query a level for the current assets,
# which land on each entity as `current_assets`.
def current_assets(path: str = "") -> Prefetch:
    """The current assets of the entities at `path` (e.g. `episodes__scenes__`)."""
    return Prefetch(
        f"{path}assets",
        queryset=Asset.objects.filter(is_current=True).order_by("kind", "id"),
        to_attr="current_assets",
    )


def with_current_assets(entities: Iterable[Model], *paths: str) -> None:
    prefetch_related_objects(list(entities), *(current_assets(p) for p in paths or ("",)))


def drama_with_assets(*, user: AbstractBaseUser, public_id: str) -> Drama:
    """The whole drama (see dramas.selectors.drama_get) and the current assets of each of its
    characters, episodes and scenes."""
    drama = script.drama_get(user=user, public_id=public_id)
    with_current_assets([drama], "characters__", "episodes__", "episodes__scenes__")
    return drama


def characters_with_assets(*, drama: Drama) -> QuerySet[Character]:
    return script.character_list(drama=drama).prefetch_related(current_assets())


def character_with_assets(*, drama: Drama, key: str) -> Character:
    character = script.character_get(drama=drama, key=key)
    with_current_assets([character])
    return character


def episodes_with_assets(*, drama: Drama) -> QuerySet[Episode]:
    return script.episode_list(drama=drama).prefetch_related(current_assets())


def episode_with_assets(*, drama: Drama, key: str) -> Episode:
    episode = script.episode_get(drama=drama, key=key)
    with_current_assets([episode])
    return episode


def scenes_with_assets(*, episode: Episode) -> QuerySet[Scene]:
    return script.scene_list(episode=episode).prefetch_related(current_assets())


def scene_with_assets(*, episode: Episode, key: str) -> Scene:
    scene = script.scene_get(episode=episode, key=key)
    with_current_assets([scene])
    return scene


def asset_with_file(name: str) -> Asset | None:
    """The asset whose file is `name` (`…/assets/{asset_id}.{ext}`): a sidecar
    (`{asset_id}_metadata.json`) or a file left behind by no row has none."""
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return (
        Asset.objects.filter(public_id=stem, file=name)
        .only("public_id", "file", "filename", "content_type")
        .first()
    )
