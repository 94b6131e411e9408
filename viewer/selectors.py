"""What the viewer reads: dramas as cards for the index, and one drama with its media, each in
a fixed number of queries whatever the drama's size."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery

from assets import selectors as media
from assets.models import Asset
from dramas import selectors as script
from dramas.models import Drama, Scene
from dramas.selectors import count_per_drama

POSTER_KINDS = (Asset.Kind.PORTRAIT, Asset.Kind.STORYBOARD)


def _shown(assets: QuerySet[Asset], *, approved_only: bool) -> QuerySet[Asset]:
    return assets.filter(review_status=Asset.Review.APPROVED) if approved_only else assets


def drama_cards(*, user: AbstractBaseUser, approved_only: bool) -> QuerySet[Drama]:
    """The dramas `user` may see, newest first, each annotated with its counts and the id of
    its poster: the first character's portrait, else the first scene's storyboard."""
    posters = _shown(
        Asset.objects.filter(
            Q(character__drama=OuterRef("pk")) | Q(scene__drama=OuterRef("pk")),
            is_current=True,
            kind__in=POSTER_KINDS,
        ),
        approved_only=approved_only,
    ).order_by(
        "kind", "character__order", "scene__episode__number", "scene__number", "id"
    )  # "portrait" sorts before "storyboard"
    return script.drama_list(user=user).annotate(
        scene_count=count_per_drama(Scene),
        poster_id=Subquery(posters.values("pk")[:1], output_field=IntegerField()),
    )


def posters_of(dramas: list[Drama]) -> None:
    """Sets `poster` (an Asset or None) on each card, in one query."""
    ids = [d.poster_id for d in dramas if d.poster_id]
    found = {a.pk: a for a in Asset.objects.filter(pk__in=ids)} if ids else {}
    for drama in dramas:
        drama.poster = found.get(drama.poster_id)


def drama_with_media(*, user: AbstractBaseUser, public_id: str) -> Drama:
    """The whole drama with the current assets of its characters, episodes and scenes (see
    assets.selectors.drama_with_assets). Raises NotFound for unknown ids and for dramas `user`
    may not see alike."""
    return media.drama_with_assets(user=user, public_id=public_id)


def keep_approved(drama: Drama) -> None:
    """Drops every asset not approved from the drama's entities (as read by
    drama_with_media), for viewers who see only what moderators let out."""
    episodes = list(drama.episodes.all())
    entities = [*drama.characters.all(), *episodes, *(s for e in episodes for s in e.scenes.all())]
    for entity in entities:
        entity.current_assets = [
            a for a in entity.current_assets if a.review_status == Asset.Review.APPROVED
        ]
