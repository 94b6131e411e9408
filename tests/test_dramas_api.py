"""The drama API through HTTP: create, list, get, patch, delete and the nested resources."""

from __future__ import annotations

import pytest

from dramas.models import Character, DialogueLine, Drama, Episode, Scene
from tests.conftest import assert_error, drama_body

pytestmark = pytest.mark.django_db


def test_it_creates_a_whole_drama_from_json_in_one_request(api, user):
    response = api.post("/dramas", drama_body(episodes=2, scenes=3, characters=3), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("drama_")
    assert body["status"] == "ready"
    assert body["version"] == 1
    assert response["ETag"] == '"1"'
    assert [c["id"] for c in body["characters"]] == ["char_001", "char_002", "char_003"]
    assert [e["id"] for e in body["episodes"]] == ["ep_01", "ep_02"]
    scene = body["episodes"][1]["scenes"][2]
    assert scene["id"] == "sc_02_03"
    assert scene["timeOfDay"] == "night"
    # Episode 2, scene 3 of drama_body: the cast is characters (1+2)%3 and (1+2+1)%3.
    assert scene["characters"] == ["char_001", "char_002"]
    assert scene["dialogue"] == [
        {"character": "char_001", "line": "Out."},
        {"character": "char_002", "line": "No."},
    ]
    drama = Drama.objects.get(public_id=body["id"])
    assert drama.owner == user
    assert Scene.objects.filter(drama=drama).count() == 6
    assert DialogueLine.objects.filter(scene__drama=drama).count() == 12


def test_it_keeps_the_ids_the_client_gives(api):
    body = drama_body(episodes=1, scenes=1, characters=2)
    body["characters"][0]["id"] = "hero"
    body["episodes"][0]["id"] = "pilot"
    body["episodes"][0]["scenes"][0].update(
        id="opening", characters=["hero"], dialogue=[{"character": "hero", "line": "Hi."}]
    )

    created = api.post("/dramas", body, format="json").json()

    assert created["characters"][0]["id"] == "hero"
    scene = api.get(f"/dramas/{created['id']}/episodes/pilot/scenes/opening").json()
    assert scene["characters"] == ["hero"]
    assert scene["episode"] == "pilot"


def test_it_lists_dramas_newest_first_with_pagination(api, make_drama):
    for n in range(3):
        make_drama(title=f"Story {n}")

    page = api.get("/dramas?pageSize=2").json()

    assert page["count"] == 3
    assert [d["title"] for d in page["results"]] == ["Story 2", "Story 1"]
    assert page["results"][0]["episodeCount"] == 2
    assert page["results"][0]["characterCount"] == 3
    assert page["next"]
    second = api.get("/dramas?pageSize=2&page=2").json()
    assert [d["title"] for d in second["results"]] == ["Story 0"]


def test_it_filters_by_status_and_genre_and_searches_titles(api, make_drama):
    make_drama(title="The Kitchen War")
    other = drama_body(title="Night Shift")
    other["genre"] = "thriller"
    api.post("/dramas", other, format="json")
    api.post("/dramas", {"premise": "A heist in a museum"}, format="json")

    def titles(query: str) -> list[str]:
        return sorted(d["title"] for d in api.get(f"/dramas?{query}").json()["results"])

    assert titles("genre=thriller") == ["Night Shift"]
    assert titles("genre=COMEDY") == ["The Kitchen War"]
    assert titles("search=kitchen") == ["The Kitchen War"]
    assert titles("status=writing") == ["A heist in a museum"]
    assert titles("status=ready&genre=comedy") == ["The Kitchen War"]


def test_it_gets_the_whole_nested_drama_with_an_etag(api, make_drama):
    created = make_drama()

    response = api.get(f"/dramas/{created['id']}")

    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json() == created


def test_it_patches_top_level_fields_and_bumps_the_version(api, make_drama):
    created = make_drama()

    response = api.patch(
        f"/dramas/{created['id']}", {"title": "Renamed", "tone": "dark"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    assert response.json()["tone"] == "dark"
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'
    assert Drama.objects.get(public_id=created["id"]).title == "Renamed"


def test_it_deletes_a_drama_and_everything_in_it(api, make_drama):
    created = make_drama()

    response = api.delete(f"/dramas/{created['id']}")

    assert response.status_code == 204
    assert not Drama.objects.exists()
    assert not Character.objects.exists()
    assert not Episode.objects.exists()
    assert not Scene.objects.exists()
    assert_error(api.get(f"/dramas/{created['id']}"), 404)


def test_it_lists_gets_and_patches_characters(api, make_drama):
    drama = make_drama()
    base = f"/dramas/{drama['id']}/characters"

    listed = api.get(base).json()
    one = api.get(f"{base}/char_002").json()
    patched = api.patch(f"{base}/char_002", {"appearance": "red coat"}, format="json")

    assert [c["id"] for c in listed] == ["char_001", "char_002", "char_003"]
    assert one["name"] == "Person 2"
    assert patched.status_code == 200
    assert patched.json()["appearance"] == "red coat"
    assert patched["ETag"] == '"2"'
    assert Character.objects.get(key="char_002").appearance == "red coat"


def test_it_lists_gets_and_patches_episodes(api, make_drama):
    drama = make_drama()
    base = f"/dramas/{drama['id']}/episodes"

    listed = api.get(base).json()
    patched = api.patch(f"{base}/ep_02", {"synopsis": "A twist."}, format="json")

    assert [e["id"] for e in listed] == ["ep_01", "ep_02"]
    assert api.get(f"{base}/ep_01").json()["title"] == "Episode 1"
    assert patched.json()["synopsis"] == "A twist."
    assert api.get(f"/dramas/{drama['id']}").json()["version"] == 2


def test_it_lists_gets_and_patches_scenes_replacing_cast_and_dialogue(api, make_drama):
    drama = make_drama()
    base = f"/dramas/{drama['id']}/episodes/ep_01/scenes"

    listed = api.get(base).json()
    patched = api.patch(
        f"{base}/sc_01_02",
        {
            "title": "The reveal",
            "characters": ["char_001", "char_003"],
            "dialogue": [
                {"character": "char_003", "line": "It was me."},
                {"character": "char_001", "line": "I know."},
            ],
        },
        format="json",
    )

    assert [s["id"] for s in listed] == ["sc_01_01", "sc_01_02"]
    assert patched.status_code == 200
    scene = api.get(f"{base}/sc_01_02").json()
    assert scene["title"] == "The reveal"
    assert scene["characters"] == ["char_001", "char_003"]
    assert [d["line"] for d in scene["dialogue"]] == ["It was me.", "I know."]


def test_it_does_not_find_a_scene_through_the_wrong_episode(api, make_drama):
    drama = make_drama()

    assert_error(api.get(f"/dramas/{drama['id']}/episodes/ep_02/scenes/sc_01_01"), 404)
