"""Optimistic locking: ETag on read, If-Match on write, one winner among concurrent writers."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from accounts.services import api_key_create
from dramas.models import Drama
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_it_refuses_a_stale_if_match_and_changes_nothing(api, make_drama):
    drama_id = make_drama()["id"]
    api.patch(f"/dramas/{drama_id}", {"title": "First"}, format="json", HTTP_IF_MATCH='"1"')

    stale = api.patch(
        f"/dramas/{drama_id}", {"title": "Second"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert_error(stale, 412)
    drama = Drama.objects.get(public_id=drama_id)
    assert (drama.title, drama.version) == ("First", 2)


def test_it_accepts_the_current_etag_weak_or_strong(api, make_drama):
    drama_id = make_drama()["id"]
    etag = api.get(f"/dramas/{drama_id}")["ETag"]

    first = api.patch(f"/dramas/{drama_id}", {"tone": "a"}, format="json", HTTP_IF_MATCH=etag)
    second = api.patch(
        f"/dramas/{drama_id}", {"tone": "b"}, format="json", HTTP_IF_MATCH=f"W/{first['ETag']}"
    )

    assert first.status_code == 200
    assert second.status_code == 200
    assert second["ETag"] == '"3"'


def test_it_refuses_a_delete_with_a_stale_if_match(api, make_drama):
    drama_id = make_drama()["id"]
    api.patch(f"/dramas/{drama_id}", {"title": "Moved on"}, format="json")

    assert_error(api.delete(f"/dramas/{drama_id}", HTTP_IF_MATCH='"1"'), 412)
    assert Drama.objects.filter(public_id=drama_id).exists()
    assert api.delete(f"/dramas/{drama_id}", HTTP_IF_MATCH='"2"').status_code == 204


@pytest.mark.parametrize(
    "path, body",
    [
        ("characters/char_001", {"name": "Renamed"}),
        ("episodes/ep_01", {"title": "Renamed"}),
        ("episodes/ep_01/scenes/sc_01_01", {"title": "Renamed"}),
    ],
)
def test_nested_edits_bump_the_drama_version_and_honour_if_match(api, make_drama, path, body):
    drama_id = make_drama()["id"]

    fresh = api.patch(f"/dramas/{drama_id}/{path}", body, format="json", HTTP_IF_MATCH='"1"')
    stale = api.patch(f"/dramas/{drama_id}/{path}", body, format="json", HTTP_IF_MATCH='"1"')

    assert fresh.status_code == 200
    assert fresh["ETag"] == '"2"'
    assert_error(stale, 412)
    assert Drama.objects.get(public_id=drama_id).version == 2


def test_an_if_match_that_is_not_one_of_our_etags_never_matches(api, make_drama):
    drama_id = make_drama()["id"]

    response = api.patch(
        f"/dramas/{drama_id}", {"title": "x"}, format="json", HTTP_IF_MATCH='"banana"'
    )

    assert_error(response, 412)


def _concurrent_patches(url: str, key: str, bodies: list[dict], if_match: str) -> list[int]:
    """Sends the PATCHes at the same moment from separate threads; returns their statuses."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def send(index: int) -> None:
        request = urllib.request.Request(
            url,
            data=json.dumps(bodies[index]).encode(),
            method="PATCH",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {key}",
                "If-Match": if_match,
            },
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                statuses[index] = response.status
        except urllib.error.HTTPError as error:
            statuses[index] = error.code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.django_db(transaction=True)
def test_of_two_concurrent_patches_with_the_same_if_match_exactly_one_wins(
    live_server, user, make_drama
):
    _, key = api_key_create(user=user, name="race")
    for round_number in range(5):
        drama = make_drama()
        url = f"{live_server.url}/dramas/{drama['id']}"

        statuses = _concurrent_patches(
            url, key, [{"title": f"A{round_number}"}, {"title": f"B{round_number}"}], '"1"'
        )

        assert sorted(statuses) == [200, 412], statuses
        saved = Drama.objects.get(public_id=drama["id"])
        assert saved.version == 2
        winner = "A" if statuses[0] == 200 else "B"
        assert saved.title == f"{winner}{round_number}"


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_without_if_match_all_land_and_each_bumps_the_version(
    live_server, user, make_drama
):
    _, key = api_key_create(user=user, name="race")
    drama = make_drama()

    statuses = _concurrent_patches(
        f"{live_server.url}/dramas/{drama['id']}", key, [{"tone": "a"}, {"tone": "b"}], "*"
    )

    assert statuses == [200, 200]
    assert Drama.objects.get(public_id=drama["id"]).version == 3
