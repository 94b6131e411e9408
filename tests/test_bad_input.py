"""Bad input on every endpoint: the right 4xx, the one error shape, and no data changed.

Every request here goes through the schema-checked clients of conftest, so a status the OpenAPI
schema does not declare fails the test too; a 500 raises in the test client.
"""

from __future__ import annotations

import copy

import pytest
from django.conf import settings as django_settings

from assets.models import Asset
from dramas.models import Character, DialogueLine, Drama, Episode, Scene
from generation.models import Job
from tests.conftest import assert_error, drama_body

pytestmark = pytest.mark.django_db

# The endpoints that read a JSON body, with a body each would accept.
BODY_ENDPOINTS = {
    "create": ("POST", "/dramas", {"premise": "A lighthouse keeper finds a letter."}),
    "patch-drama": ("PATCH", "{d}", {"title": "Renamed"}),
    "patch-character": ("PATCH", "{d}/characters/char_001", {"name": "Renamed"}),
    "patch-episode": ("PATCH", "{d}/episodes/ep_01", {"title": "Renamed"}),
    "patch-scene": ("PATCH", "{d}/episodes/ep_01/scenes/sc_01_01", {"title": "Renamed"}),
    "improve": ("POST", "{d}/improve", {"feedback": "More twists."}),
}
SCENE = "{d}/episodes/ep_01/scenes/sc_01_01"
MODELS = (Drama, Character, Episode, Scene, Scene.characters.through, DialogueLine, Job, Asset)


def data_state() -> dict[str, list[dict]]:
    """Every row of every model a request could touch, to compare before and after."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in MODELS}


def field_paths(details: object, prefix: str = "") -> set[str]:
    """The fields `details` names, as dotted paths: `episodes.0.scenes.1.dialogue.0.line`.

    Nested serializer errors and flat keys such as `episodes[0].scenes[1].characters` come out
    in the same form.
    """
    if not isinstance(details, dict):
        return {prefix} if prefix else set()
    paths: set[str] = set()
    for key, value in details.items():
        name = str(key).replace("[", ".").replace("]", "")
        path = f"{prefix}.{name}" if prefix else name
        paths |= field_paths(value, path) if isinstance(value, dict) else {path}
    return paths


def assert_refused(response, status: int, field: str | None = None) -> dict:
    """The error shape with `status`; for a field, `details` names it by its whole path."""
    error = assert_error(response, status)
    if field is not None:
        paths = {p.removesuffix(".nonFieldErrors") for p in field_paths(error["details"])}
        assert field in paths, (field, error)
    return error


def resolve(path: str, drama: dict) -> str:
    return path.format(d=f"/dramas/{drama['id']}")


def send(client, method: str, path: str, body: object = None):
    """Sends `body` encoded as JSON, as clients do."""
    return getattr(client, method.lower())(path, body, format="json")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The users of conftest have passwords; a slow hasher would dominate these many small tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def drama(make_drama) -> dict:
    """The writer's drama (2 episodes of 2 scenes, 3 characters), with a job and an asset."""
    created = make_drama()
    row = Drama.objects.get(public_id=created["id"])
    Job.objects.create(drama=row, kind=Job.Kind.CRITIQUE, status=Job.Status.COMPLETED)
    Asset.objects.create(
        owner=row.owner,
        project=row.public_id,
        kind=Asset.Kind.STORYBOARD,
        media_type=Asset.MediaType.IMAGE,
        scene=Scene.objects.get(drama=row, key="sc_01_01"),
        file="1/drama/assets/asset_x.png",
        content_type="image/png",
    )
    return created


# ---------------------------------------------------------------- bodies that are not JSON objects
@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'{"title": "x",}', b"\xff\xfe{}", b""],
    ids=["garbage", "trailing-comma", "not-utf8", "empty"],
)
def test_it_refuses_a_body_that_is_not_json_with_400(api, drama, endpoint, raw):
    method, path, _ = BODY_ENDPOINTS[endpoint]
    before = data_state()

    response = api.generic(method, resolve(path, drama), raw, content_type="application/json")

    assert_refused(response, 400)
    assert data_state() == before


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "raw", [b"[]", b'[{"title": "x"}]', b'"a string"', b"42", b"null", b"true"]
)
def test_it_refuses_json_that_is_not_an_object_with_400(api, drama, endpoint, raw):
    method, path, _ = BODY_ENDPOINTS[endpoint]
    before = data_state()

    response = api.generic(method, resolve(path, drama), raw, content_type="application/json")

    error = assert_refused(response, 400)
    assert "object" in error["message"].lower(), error
    assert data_state() == before


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 500 + b"]" * 500,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    ],
    ids=["500-lists", "100000-lists", "100000-objects"],
)
def test_it_refuses_deeply_nested_json_with_400_not_500(api, drama, raw):
    before = data_state()

    response = api.generic("POST", "/dramas", raw, content_type="application/json")

    assert_refused(response, 400)
    assert data_state() == before


# ---------------------------------------------------------------- wrong types
WRONG_TYPES = [
    # (endpoint, body, the field named)
    ("create", {"premise": 5}, "premise"),
    ("create", {"premise": ["a", "list"]}, "premise"),
    ("create", {"premise": "p", "episodeCount": "3"}, "episodeCount"),
    ("create", {"premise": "p", "episodeCount": True}, "episodeCount"),
    ("create", {"premise": "p", "episodeCount": 2.5}, "episodeCount"),
    ("create", {"premise": "p", "characterCount": {"n": 3}}, "characterCount"),
    ("create", {**drama_body(), "title": 7}, "title"),
    ("create", {**drama_body(), "characters": {"char_001": {"name": "A"}}}, "characters"),
    ("create", {**drama_body(), "episodes": "ep_01"}, "episodes"),
    ("create", {**drama_body(), "characters": [1, 2]}, "characters.0"),
    ("patch-drama", {"title": 5}, "title"),
    ("patch-drama", {"title": None}, "title"),
    ("patch-drama", {"genre": False}, "genre"),
    ("patch-character", {"name": 5}, "name"),
    ("patch-character", {"appearance": {"hair": "red"}}, "appearance"),
    ("patch-episode", {"title": ["x"]}, "title"),
    ("patch-scene", {"targetDuration": "10"}, "targetDuration"),
    ("patch-scene", {"targetDuration": True}, "targetDuration"),
    ("patch-scene", {"characters": {"char_001": True}}, "characters"),
    ("patch-scene", {"characters": "char_001"}, "characters"),
    ("patch-scene", {"characters": [None]}, "characters.0"),
    ("patch-scene", {"dialogue": {"character": "char_001", "line": "x"}}, "dialogue"),
    ("patch-scene", {"dialogue": [{"character": "char_001", "line": 5}]}, "dialogue.0.line"),
    ("improve", {"feedback": 5}, "feedback"),
    ("improve", {"feedback": None}, "feedback"),
]


@pytest.mark.parametrize(("endpoint", "body", "field"), WRONG_TYPES)
def test_it_refuses_a_value_of_the_wrong_type_naming_the_field(api, drama, endpoint, body, field):
    method, path, _ = BODY_ENDPOINTS[endpoint]
    before = data_state()

    response = send(api, method, resolve(path, drama), body)

    error = assert_refused(response, 400, field)
    assert error["code"] == "invalid"
    assert data_state() == before


def test_it_refuses_a_nested_value_of_the_wrong_type_in_a_whole_drama(api, drama):
    body = drama_body()
    body["episodes"][1]["scenes"][0]["targetDuration"] = "8"
    before = data_state()

    response = api.post("/dramas", body, format="json")

    assert_refused(response, 400, "episodes.1.scenes.0.targetDuration")
    assert data_state() == before


@pytest.mark.parametrize("endpoint", ["create", "patch-drama", "improve"])
def test_it_refuses_null_characters_in_strings(api, drama, endpoint):
    method, path, body = BODY_ENDPOINTS[endpoint]
    field = next(iter(body))
    before = data_state()

    response = send(api, method, resolve(path, drama), {field: "a\x00b"})

    assert_refused(response, 400, field)
    assert data_state() == before


def test_it_names_the_field_in_the_message_as_clients_spell_it(api, drama):
    response = api.post("/dramas", {"premise": "p", "episodeCount": "3"}, format="json")

    error = assert_refused(response, 400, "episodeCount")
    # Clients send and read camelCase; a message naming `episode_count` names no field of theirs.
    assert "episodeCount" in error["message"], error["message"]


# ---------------------------------------------------------------- missing required fields
def without(body: dict, *path: str | int) -> dict:
    """A copy of `body` with the key at `path` removed."""
    body = copy.deepcopy(body)
    container = body
    for step in path[:-1]:
        container = container[step]
    del container[path[-1]]
    return body


MISSING = [
    (without(drama_body(), "title"), "title"),
    (without(drama_body(), "episodes"), "episodes"),
    ({"title": "No cast", "episodes": []}, "characters"),
    (without(drama_body(), "characters", 1, "name"), "characters.1.name"),
    (without(drama_body(), "episodes", 0, "title"), "episodes.0.title"),
    (
        without(drama_body(), "episodes", 1, "scenes", 0, "dialogue", 1, "line"),
        "episodes.1.scenes.0.dialogue.1.line",
    ),
    (
        without(drama_body(), "episodes", 0, "scenes", 1, "dialogue", 0, "character"),
        "episodes.0.scenes.1.dialogue.0.character",
    ),
    ({"genre": "noir", "episodeCount": 2}, "premise"),
    ({}, "premise"),
]


@pytest.mark.parametrize(("body", "field"), MISSING)
def test_it_refuses_a_drama_missing_a_required_field(api, drama, body, field):
    before = data_state()

    response = api.post("/dramas", body, format="json")

    error = assert_refused(response, 400, field)
    assert "required" in str(error["details"])
    assert data_state() == before


@pytest.mark.parametrize(
    ("dialogue", "field"),
    [
        ([{"character": "char_001"}], "dialogue.0.line"),
        ([{"line": "Who said this?"}], "dialogue.0.character"),
        ([{"character": "char_001", "line": "ok"}, {}], "dialogue.1.line"),
    ],
)
def test_it_refuses_a_scene_patch_with_an_incomplete_dialogue_line(api, drama, dialogue, field):
    before = data_state()

    response = api.patch(resolve(SCENE, drama), {"dialogue": dialogue}, format="json")

    assert_refused(response, 400, field)
    assert data_state() == before


@pytest.mark.parametrize("body", [{}, {"feedback": ""}, {"feedbak": "typo"}])
def test_it_refuses_improve_without_feedback(api, drama, body):
    before = data_state()

    response = api.post(f"/dramas/{drama['id']}/improve", body, format="json")

    assert_refused(response, 400, "feedback")
    assert data_state() == before


@pytest.mark.parametrize(
    "endpoint", ["patch-drama", "patch-character", "patch-episode", "patch-scene"]
)
@pytest.mark.parametrize(
    "body",
    [{}, {"unknownField": 1}, {"id": "new_id", "version": 99, "status": "produced"}],
    ids=["empty", "unknown-field", "read-only-fields"],
)
def test_it_refuses_a_patch_that_changes_nothing(api, drama, endpoint, body):
    method, path, _ = BODY_ENDPOINTS[endpoint]
    before = data_state()

    response = send(api, method, resolve(path, drama), body)

    assert_refused(response, 400)
    assert data_state() == before
    assert Drama.objects.get(public_id=drama["id"]).version == 1


# ---------------------------------------------------------------- references and duplicate ids
def scene_of(body: dict, episode: int = 0, scene: int = 0) -> dict:
    return body["episodes"][episode]["scenes"][scene]


def unknown_cast_member() -> dict:
    body = drama_body()
    scene_of(body, 1, 0)["characters"] = ["char_001", "char_999"]
    return body


def unknown_speaker() -> dict:
    body = drama_body()
    scene_of(body, 0, 1)["dialogue"][1]["character"] = "ghost"
    return body


def duplicate_character() -> dict:
    body = drama_body()
    body["characters"][2]["id"] = "char_001"
    return body


def duplicate_episode() -> dict:
    body = drama_body()
    body["episodes"][0]["id"] = body["episodes"][1]["id"] = "pilot"
    return body


def duplicate_scene_across_episodes() -> dict:
    body = drama_body()
    scene_of(body, 0, 0)["id"] = scene_of(body, 1, 1)["id"] = "opening"
    return body


def character_listed_twice() -> dict:
    body = drama_body()
    scene_of(body, 0, 0)["characters"] = ["char_002", "char_002"]
    return body


def malformed_id() -> dict:
    body = drama_body()
    body["characters"][0]["id"] = "../etc/passwd"
    return body


@pytest.mark.parametrize(
    ("make_body", "field"),
    [
        (unknown_cast_member, "episodes.1.scenes.0.characters"),
        (unknown_speaker, "episodes.0.scenes.1.dialogue.1.character"),
        (duplicate_character, "characters.2.id"),
        (duplicate_episode, "episodes.1.id"),
        (duplicate_scene_across_episodes, "episodes.1.scenes.1.id"),
        (character_listed_twice, "episodes.0.scenes.0.characters"),
        (malformed_id, "characters.0.id"),
    ],
)
def test_it_refuses_a_whole_drama_with_bad_ids_or_references(api, drama, make_body, field):
    before = data_state()

    response = api.post("/dramas", make_body(), format="json")

    assert_refused(response, 400, field)
    assert data_state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"characters": ["char_001", "char_999"]}, "characters"),
        ({"characters": ["char_002", "char_002"]}, "characters"),
        ({"dialogue": [{"character": "ghost", "line": "Boo."}]}, "dialogue.0.character"),
        (
            {
                "title": "Valid title, invalid rest",
                "characters": ["char_001"],
                "dialogue": [
                    {"character": "char_001", "line": "Fine."},
                    {"character": "char_404", "line": "Not fine."},
                ],
            },
            "dialogue.1.character",
        ),
    ],
)
def test_it_refuses_a_scene_patch_referring_to_unknown_characters(api, drama, body, field):
    before = data_state()

    response = api.patch(resolve(SCENE, drama), body, format="json")

    assert_refused(response, 400, field)
    assert data_state() == before
    assert api.get(resolve(SCENE, drama)).json()["title"] == "Scene 1"


def test_it_refuses_a_scene_patch_naming_a_character_of_another_drama(api, drama):
    other = drama_body(characters=1)
    other["characters"][0]["id"] = "stranger"
    other["episodes"] = []
    assert api.post("/dramas", other, format="json").status_code == 201
    before = data_state()

    response = api.patch(
        resolve(SCENE, drama),
        {"characters": ["stranger"], "dialogue": [{"character": "stranger", "line": "Hi."}]},
        format="json",
    )

    assert_refused(response, 400, "characters")
    assert data_state() == before


# ---------------------------------------------------------------- absurd sizes
def too_many_episodes() -> dict:
    return {**drama_body(), "episodes": [{"title": f"E{n}"} for n in range(10_000)]}


def too_many_characters() -> dict:
    return {**drama_body(), "characters": [{"name": f"P{n}"} for n in range(31)]}


def too_many_scenes() -> dict:
    body = drama_body()
    body["episodes"][0]["scenes"] = [{"title": f"S{n}"} for n in range(41)]
    return body


def too_many_lines() -> dict:
    body = drama_body()
    scene_of(body)["dialogue"] = [{"character": "char_001", "line": "Again."}] * 81
    return body


def too_long_a_title() -> dict:
    return {**drama_body(), "title": "t" * 201}


def too_long_a_line() -> dict:
    body = drama_body()
    scene_of(body)["dialogue"][0]["line"] = "l" * 2001
    return body


def too_long_a_duration() -> dict:
    body = drama_body()
    scene_of(body)["targetDuration"] = 10**12
    return body


@pytest.mark.parametrize(
    ("make_body", "field"),
    [
        (too_many_episodes, "episodes"),
        (too_many_characters, "characters"),
        (too_many_scenes, "episodes.0.scenes"),
        (too_many_lines, "episodes.0.scenes.0.dialogue"),
        (too_long_a_title, "title"),
        (too_long_a_line, "episodes.0.scenes.0.dialogue.0.line"),
        (too_long_a_duration, "episodes.0.scenes.0.targetDuration"),
    ],
)
def test_it_refuses_a_whole_drama_of_absurd_size(api, drama, make_body, field):
    before = data_state()

    response = api.post("/dramas", make_body(), format="json")

    assert_refused(response, 400, field)
    assert data_state() == before


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"episodeCount": 10_000}, "episodeCount"),
        ({"episodeCount": 0}, "episodeCount"),
        ({"episodeCount": -3}, "episodeCount"),
        ({"characterCount": 1_000}, "characterCount"),
        ({"scenesPerEpisode": 10**30}, "scenesPerEpisode"),
        ({"premise": "p" * 2001}, "premise"),
        ({"genre": "g" * 61}, "genre"),
    ],
)
def test_it_refuses_a_premise_asking_for_an_absurd_size(api, drama, options, field):
    before = data_state()

    response = api.post("/dramas", {"premise": "A heist.", **options}, format="json")

    assert_refused(response, 400, field)
    assert data_state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dialogue": [{"character": "char_001", "line": "Again."}] * 81}, "dialogue"),
        ({"characters": [f"char_{n:03d}" for n in range(1, 14)]}, "characters"),
        ({"targetDuration": 61}, "targetDuration"),
        ({"description": "d" * 5001}, "description"),
    ],
)
def test_it_refuses_a_scene_patch_of_absurd_size(api, drama, body, field):
    before = data_state()

    response = api.patch(resolve(SCENE, drama), body, format="json")

    assert_refused(response, 400, field)
    assert data_state() == before


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
def test_it_refuses_a_body_larger_than_the_limit_with_413(api, drama, endpoint):
    method, path, body = BODY_ENDPOINTS[endpoint]
    field = next(iter(body))
    padding = b"x" * django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    raw = b'{"' + field.encode() + b'": "' + padding + b'"}'
    before = data_state()

    response = api.generic(method, resolve(path, drama), raw, content_type="application/json")

    error = assert_refused(response, 413)
    assert error["code"] == "payload_too_large"
    assert data_state() == before


# ---------------------------------------------------------------- content types
@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("text/plain", b"premise: a heist"),
        ("application/xml", b"<drama><title>x</title></drama>"),
        ("application/yaml", b"title: x"),
    ],
    ids=["text", "xml", "yaml"],
)
def test_it_refuses_an_unsupported_content_type_with_415(api, drama, endpoint, content_type, raw):
    method, path, _ = BODY_ENDPOINTS[endpoint]
    before = data_state()

    response = api.generic(method, resolve(path, drama), raw, content_type=content_type)

    error = assert_refused(response, 415)
    assert error["code"] == "unsupported_media_type"
    assert data_state() == before


@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("application/x-www-form-urlencoded", b"characters=char_001&dialogue=x"),
        (
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; name=characters\r\n\r\nchar_001\r\n"
            b"--b\r\nContent-Disposition: form-data; name=dialogue\r\n\r\nx\r\n--b--\r\n",
        ),
    ],
    ids=["form", "multipart"],
)
def test_it_refuses_a_form_body_on_a_json_endpoint_with_415(api, drama, content_type, raw):
    # Forms carry only strings, so the strict JSON types cannot hold; `dialogue=x` must not be
    # dropped silently while the rest of the form is applied.
    before = data_state()

    response = api.generic("PATCH", resolve(SCENE, drama), raw, content_type=content_type)

    assert_refused(response, 415)
    assert data_state() == before


# ---------------------------------------------------------------- unknown ids
UNKNOWN_READS = [
    "/dramas/drama_doesnotexist",
    "/dramas/drama_doesnotexist/characters",
    "/dramas/drama_doesnotexist/jobs",
    "{d}/characters/char_999",
    "{d}/episodes/ep_99",
    "{d}/episodes/ep_99/scenes",
    "{d}/episodes/ep_01/scenes/sc_99_99",
    "{d}/episodes/ep_01/scenes/sc_02_01",
    "{d}/episodes/ep_01/scenes/sc_99_99/assets",
    "{d}/episodes/ep_01/scenes/sc_01_01/assets/asset_doesnotexist",
    "{d}/jobs/job_doesnotexist",
]


@pytest.mark.parametrize("path", UNKNOWN_READS)
def test_it_answers_404_for_an_unknown_id(api, drama, path):
    response = api.get(resolve(path, drama))

    error = assert_refused(response, 404)
    assert error["code"] == "not_found"


UNKNOWN_WRITES = [
    ("PATCH", "/dramas/drama_doesnotexist", {"title": "x"}),
    ("DELETE", "/dramas/drama_doesnotexist", None),
    ("PATCH", "{d}/characters/char_999", {"name": "x"}),
    ("PATCH", "{d}/episodes/ep_99", {"title": "x"}),
    ("PATCH", "{d}/episodes/ep_01/scenes/sc_99_99", {"title": "x"}),
    ("PATCH", "{d}/episodes/ep_99/scenes/sc_01_01", {"title": "x"}),
    ("POST", "/dramas/drama_doesnotexist/improve", {"feedback": "x"}),
    ("POST", "/dramas/drama_doesnotexist/critique", None),
]


@pytest.mark.parametrize(("method", "path", "body"), UNKNOWN_WRITES)
def test_it_answers_404_for_a_write_to_an_unknown_id_and_changes_nothing(
    api, drama, method, path, body
):
    before = data_state()

    response = send(api, method, resolve(path, drama), body)

    assert_refused(response, 404)
    assert data_state() == before


def test_it_does_not_find_an_asset_of_another_scene(api, drama):
    asset = Asset.objects.get()

    found = api.get(resolve(f"{SCENE}/assets/{asset.public_id}", drama))
    elsewhere = api.get(resolve(f"{{d}}/episodes/ep_01/scenes/sc_01_02/assets/{asset.public_id}",
                                drama))  # fmt: skip

    assert found.status_code == 200
    assert_refused(elsewhere, 404)


def test_it_does_not_find_a_job_through_another_drama(api, drama, make_drama):
    job = Job.objects.get()
    second = make_drama()

    response = api.get(f"/dramas/{second['id']}/jobs/{job.public_id}")

    assert_refused(response, 404)


# ---------------------------------------------------------------- another user's drama
OTHERS_WRITES = [
    ("PATCH", "{d}", {"title": "Mine now"}),
    ("DELETE", "{d}", None),
    ("PATCH", "{d}/characters/char_001", {"name": "Mine now"}),
    ("PATCH", "{d}/episodes/ep_01", {"title": "Mine now"}),
    ("PATCH", SCENE, {"title": "Mine now", "characters": [], "dialogue": []}),
    ("POST", "{d}/improve", {"feedback": "Make it mine."}),
    ("POST", "{d}/critique", None),
]


@pytest.mark.parametrize(("method", "path", "body"), OTHERS_WRITES)
def test_it_answers_404_not_403_for_a_write_to_another_users_drama(
    other_api, drama, method, path, body
):
    before = data_state()

    response = send(other_api, method, resolve(path, drama), body)

    error = assert_refused(response, 404)
    assert error["code"] == "not_found"
    assert data_state() == before


# ---------------------------------------------------------------- query parameters
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/dramas?status=zzz", "status"),
        ("/dramas?status=", "status"),
        ("/dramas?genre=" + "g" * 61, "genre"),
        ("/dramas?search=%00", "search"),
        ("{d}/jobs?status=zzz", "status"),
        ("{d}/jobs?kind=haiku", "kind"),
        ("{d}/jobs/{job}?children=maybe", "children"),
        (SCENE + "/assets?versions=maybe", "versions"),
    ],
)
def test_it_refuses_an_invalid_query_parameter_naming_it(api, drama, path, field):
    job = Job.objects.get()

    response = api.get(resolve(path.replace("{job}", job.public_id), drama))

    assert_refused(response, 400, field)


@pytest.mark.parametrize(
    "path", ["/dramas?page=999", "/dramas?page=0", "/dramas?page=abc", "{d}/jobs?page=999"]
)
def test_it_answers_404_for_a_page_that_does_not_exist(api, drama, path):
    response = api.get(resolve(path, drama))

    error = assert_refused(response, 404)
    assert error["code"] == "not_found"


@pytest.mark.parametrize("page_size", ["abc", "-1", "0", "1e3"])
def test_it_falls_back_to_the_default_page_size_for_a_nonsense_page_size(
    api, drama, user, page_size
):
    Drama.objects.bulk_create(
        [Drama(owner=user, title=f"Bulk {n}", status=Drama.Status.READY) for n in range(24)]
    )

    response = api.get(f"/dramas?pageSize={page_size}")

    assert response.status_code == 200
    assert response.json()["count"] == 25
    assert len(response.json()["results"]) == 20


def test_it_caps_a_huge_page_size(api, drama, user):
    Drama.objects.bulk_create(
        [Drama(owner=user, title=f"Bulk {n}", status=Drama.Status.READY) for n in range(120)]
    )

    response = api.get("/dramas?pageSize=100000")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 100


# ---------------------------------------------------------------- If-Match
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "{d}", {"title": "Late edit"}),
        ("PATCH", "{d}/characters/char_001", {"name": "Late edit"}),
        ("PATCH", "{d}/episodes/ep_01", {"title": "Late edit"}),
        ("PATCH", SCENE, {"title": "Late edit", "characters": ["char_001"]}),
        ("DELETE", "{d}", None),
    ],
)
@pytest.mark.parametrize(
    "if_match",
    ['"0"', '"2"', 'W/"7"', '"abc"', "garbage", '""', '"-1"', '"99999999999999999999999999"'],
)
def test_it_refuses_a_stale_or_malformed_if_match_with_412(
    api, drama, method, path, body, if_match
):
    before = data_state()

    response = getattr(api, method.lower())(
        resolve(path, drama), body, format="json", HTTP_IF_MATCH=if_match
    )

    error = assert_refused(response, 412)
    assert error["code"] == "precondition_failed"
    assert data_state() == before
    assert Drama.objects.get(public_id=drama["id"]).version == 1


# ---------------------------------------------------------------- conflicting state
@pytest.mark.parametrize("status", [Drama.Status.WRITING, Drama.Status.FAILED])
@pytest.mark.parametrize(
    ("action", "body"), [("improve", {"feedback": "More twists."}), ("critique", None)]
)
def test_it_refuses_improve_or_critique_without_a_script_with_409(api, drama, status, action, body):
    Drama.objects.filter(public_id=drama["id"]).update(status=status)
    before = data_state()

    response = api.post(f"/dramas/{drama['id']}/{action}", body, format="json")

    error = assert_refused(response, 409)
    assert error["code"] == "conflict"
    assert data_state() == before


def test_it_refuses_to_improve_a_drama_whose_script_is_still_being_written(api):
    accepted = api.post("/dramas", {"premise": "Twins swap lives."}, format="json").json()
    before = data_state()

    improve = api.post(f"/dramas/{accepted['dramaId']}/improve", {"feedback": "x"}, format="json")
    critique = api.post(f"/dramas/{accepted['dramaId']}/critique")

    assert_refused(improve, 409)
    assert_refused(critique, 409)
    assert data_state() == before
    assert Job.objects.filter(drama__public_id=accepted["dramaId"]).count() == 1


def test_an_upload_with_no_body_at_all_says_the_file_is_missing(api):
    response = api.generic("POST", "/asset-library/upload", "", content_type="")

    assert response.status_code == 400
    assert "file" in response.json()["error"]["details"]
