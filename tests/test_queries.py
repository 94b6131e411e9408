"""The cost of reads does not grow with the size of a drama or the number of dramas."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.models import Asset
from dramas.models import Character, Drama, Scene
from dramas.serializers import DramaCreateInput
from dramas.services import drama_create
from tests.conftest import drama_body

pytestmark = pytest.mark.django_db

# Authentication (the key and its user, one query) + the drama + characters + their assets +
# episodes + their assets + scenes + scene casts + dialogue + scene assets.
DRAMA_GET_QUERIES = 10
# Authentication + the page's count + the page (with its counts as subqueries).
DRAMA_PAGE_QUERIES = 3


def _create(user, **size) -> Drama:
    serializer = DramaCreateInput(data=drama_body(**size))
    serializer.is_valid(raise_exception=True)
    return drama_create(owner=user, data=serializer.validated_data)


def _give_assets(drama: Drama) -> None:
    """A portrait per character and a storyboard per scene, so the asset prefetches do work."""
    rows = [
        Asset(owner=drama.owner, project=drama.public_id, kind="portrait", media_type="image",
              character=c, content_type="image/png", slot=f"character:{c.pk}:portrait")
        for c in Character.objects.filter(drama=drama)
    ] + [
        Asset(owner=drama.owner, project=drama.public_id, kind="storyboard",
              media_type="image", scene=s, content_type="image/png",
              slot=f"scene:{s.pk}:storyboard")
        for s in Scene.objects.filter(drama=drama)
    ]  # fmt: skip
    for asset in rows:
        asset.file.save(f"{asset.kind}.png", ContentFile(b"png"), save=False)
    Asset.objects.bulk_create(rows)


def _count(api, path: str) -> tuple[int, dict]:
    api.get(path)  # the first request of a key records its use; measure the steady state
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
    assert response.status_code == 200
    return len(queries), response.json()


def test_getting_a_big_drama_costs_the_same_queries_as_a_tiny_one(api, user):
    big = _create(user, episodes=10, scenes=10, characters=6)
    tiny = _create(user, episodes=1, scenes=1, characters=1)
    _give_assets(big)
    _give_assets(tiny)

    big_count, big_body = _count(api, f"/dramas/{big.public_id}")
    tiny_count, tiny_body = _count(api, f"/dramas/{tiny.public_id}")

    assert sum(len(e["scenes"]) for e in big_body["episodes"]) == 100
    assert all(s["assets"] for e in big_body["episodes"] for s in e["scenes"])
    assert all(c["assets"] for c in big_body["characters"])
    assert big_count == tiny_count == DRAMA_GET_QUERIES


def test_a_page_of_dramas_costs_the_same_with_ten_or_a_thousand(api, user):
    for _ in range(10):
        _create(user, episodes=1, scenes=1, characters=2)
    ten_count, ten_body = _count(api, "/dramas")

    template = Drama.objects.first()
    Drama.objects.bulk_create(
        [Drama(owner=user, title=f"Bulk {n}", genre=template.genre) for n in range(990)]
    )
    thousand_count, thousand_body = _count(api, "/dramas")

    assert ten_body["count"] == 10
    assert thousand_body["count"] == 1000
    assert len(thousand_body["results"]) == 20
    assert ten_count == thousand_count == DRAMA_PAGE_QUERIES


def test_the_nested_lists_cost_a_constant_number_of_queries(api, user):
    small = _create(user, episodes=1, scenes=1, characters=1)
    large = _create(user, episodes=3, scenes=8, characters=6)
    _give_assets(large)

    for path in ("characters", "episodes", "episodes/ep_01/scenes"):
        small_count, _ = _count(api, f"/dramas/{small.public_id}/{path}")
        large_count, _ = _count(api, f"/dramas/{large.public_id}/{path}")
        assert small_count == large_count, path
