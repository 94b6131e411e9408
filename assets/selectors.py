from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from assets.models import Asset
from dramaplatform.errors import NotFound

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
