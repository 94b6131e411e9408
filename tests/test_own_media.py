"""A client's own images as a character's portrait or a scene's storyboard: uploaded with the
target or attached from the library, kept by generation (no provider call) while what depends
on them is made again."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from django.contrib.auth.models import Group

from assets.models import Asset
from generation.models import Job
from tests import test_dag
from tests.conftest import assert_error
from tests.test_assets import MP4, png, upload
from tests.test_dag import drain, generate, small_drama

pytestmark = pytest.mark.django_db
# The DAG tests' fixtures: provider calls counted by node, assembly outputs under tmp_path.
calls = test_dag.calls
_outputs = test_dag._outputs


def _plan(api, drama_id: str, **body) -> dict:
    response = api.post(f"/dramas/{drama_id}/generate", {"dryRun": True, **body}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _keys(nodes: list[dict]) -> set[tuple[str, str]]:
    return {(n["node"], n["targetKey"]) for n in nodes}


def _current(drama_id: str, kind: str, key: str) -> Asset:
    entity = "character" if kind in ("portrait", "audition") else "scene"
    return Asset.objects.get(
        drama__public_id=drama_id, kind=kind, is_current=True, **{f"{entity}__key": key}
    )


def _made(run_id: str) -> Counter:
    """The run's nodes that made something (not satisfied), by node."""
    nodes = Job.objects.filter(parent__public_id=run_id, status=Job.Status.COMPLETED)
    return Counter(n.node for n in nodes if not n.result.get("satisfied"))


# ---------------------------------------------------------------- the DAG keeps them
def test_an_uploaded_portrait_is_kept_and_what_depends_on_it_is_made_again(api, calls):
    drama = small_drama(api, episodes=2, scenes=2, characters=3)
    first = generate(api, drama["id"])
    assert drain(first["id"]).status == Job.Status.COMPLETED
    made_before = {(a.kind, a.public_id) for a in Asset.objects.filter(is_current=True)}
    calls.clear()
    image = png(color=(10, 120, 200))

    response = upload(api, image, "me.png", dramaId=drama["id"], characterId="char_001")

    assert response.status_code == 201, response.content
    portrait = response.json()
    assert (portrait["kind"], portrait["mediaType"], portrait["dramaId"]) == (
        "portrait", "image", drama["id"],
    )  # fmt: skip
    assert portrait["version"] == 2 and portrait["isCurrent"]
    assert portrait["metadata"]["source"] == "upload"
    assert portrait["fingerprint"] == f"upload:{hashlib.sha256(image).hexdigest()}"
    assert portrait["key"] == f"{portrait['ownerId']}/{drama['id']}/assets/{portrait['id']}.png"
    shown = api.get(f"/dramas/{drama['id']}/characters/char_001").json()["assets"]
    assert [a["id"] for a in shown if a["kind"] == "portrait"] == [portrait["id"]]

    # char_001 plays in sc_01_01 and sc_02_02 (see drama_body): exactly those go stale.
    plan = _plan(api, drama["id"])
    stale = {("audition", "char_001"), ("storyboard", "sc_01_01"), ("storyboard", "sc_02_02"),
             ("clip", "sc_01_01"), ("clip", "sc_02_02"), ("episode_cut", "ep_01"),
             ("episode_cut", "ep_02")}  # fmt: skip
    assert _keys(plan["toMake"]) == stale
    assert ("portrait", "char_001") in _keys(plan["satisfied"])
    # Nothing else needs the portrait: 3 portraits, 3 auditions, 4 storyboards, 8 lines (two a
    # scene), 4 clips, 2 music beds and 2 cuts are 26 nodes, and the others stay satisfied.
    assert ("dialogue_audio", "sc_01_01#0") in _keys(plan["satisfied"])
    assert ("music", "ep_01") in _keys(plan["satisfied"])
    assert len(plan["satisfied"]) == 26 - len(stale)

    run = generate(api, drama["id"])
    assert drain(run["id"]).status == Job.Status.COMPLETED

    # No portrait made (the upload stands), and no line voiced nor music composed again.
    assert calls == {"storyboard": 2, "video": 3}
    assert _made(run["id"]) == {"audition": 1, "storyboard": 2, "clip": 2, "episode_cut": 2}
    kept = _current(drama["id"], "portrait", "char_001")
    assert kept.public_id == portrait["id"] and kept.version == 2
    node = Job.objects.get(parent__public_id=run["id"], node="portrait", target_key="char_001")
    assert node.asset_id == kept.pk
    for kind, key in stale - {("episode_cut", "ep_01"), ("episode_cut", "ep_02")}:
        assert (kind, _current(drama["id"], kind, key).public_id) not in made_before
    untouched = _current(drama["id"], "storyboard", "sc_01_02")
    assert (untouched.kind, untouched.public_id) in made_before
    assert _plan(api, drama["id"])["toMake"] == []


def test_an_attached_upload_becomes_a_scenes_storyboard_that_generation_keeps(api, calls):
    drama = small_drama(api, episodes=1, scenes=2, characters=2)
    image = png(color=(200, 200, 20))
    library = upload(api, image, "board.png", tag="boards").json()

    response = api.post(
        f"/asset-library/{library['id']}/attach",
        {"dramaId": drama["id"], "episodeId": "ep_01", "sceneId": "sc_01_02"},
        format="json",
    )

    assert response.status_code == 201, response.content
    board = response.json()
    assert board["id"] != library["id"]
    assert (board["kind"], board["version"], board["tag"]) == ("storyboard", 1, "boards")
    assert board["metadata"]["source"] == "upload"
    assert board["metadata"]["uploadId"] == library["id"]
    assert board["fingerprint"] == f"upload:{hashlib.sha256(image).hexdigest()}"
    assert board["sha256"] == library["sha256"]
    still = api.get(f"/asset-library/{library['id']}/metadata").json()["asset"]
    assert (still["kind"], still["isCurrent"]) == ("upload", True)
    scene = api.get(f"/dramas/{drama['id']}/episodes/ep_01/scenes/sc_01_02").json()
    assert [a["id"] for a in scene["assets"]] == [board["id"]]

    plan = _plan(api, drama["id"])
    assert ("storyboard", "sc_01_02") in _keys(plan["satisfied"])
    assert ("clip", "sc_01_02") in _keys(plan["toMake"])
    clip = next(n for n in plan["toMake"] if n["node"] == "clip" and n["targetKey"] == "sc_01_02")
    # Its storyboard is there already: it waits only for its two lines to be voiced.
    assert clip["dependsOn"] == ["dialogue_audio:sc_01_02#0", "dialogue_audio:sc_01_02#1"]

    run = generate(api, drama["id"])
    assert drain(run["id"]).status == Job.Status.COMPLETED

    assert calls["storyboard"] == 1 and calls["portrait"] == 2
    assert calls["speech"] == 4 and calls["music"] == 1  # two lines a scene, one episode
    assert _current(drama["id"], "storyboard", "sc_01_02").public_id == board["id"]
    made = _current(drama["id"], "clip", "sc_01_02")
    assert made.metadata["source"] == "generated"


def test_a_new_upload_replaces_an_own_portrait_and_the_old_one_can_be_switched_back(api):
    drama = small_drama(api, episodes=1, scenes=1, characters=1)
    first = upload(api, png(color=(1, 2, 3)), "a.png", dramaId=drama["id"],
                   characterId="char_001", kind="portrait").json()  # fmt: skip
    second = upload(api, png(color=(4, 5, 6)), "b.png", dramaId=drama["id"],
                    characterId="char_001").json()  # fmt: skip

    assert (first["version"], second["version"]) == (1, 2)
    versions = api.get(f"/asset-library/{second['id']}/versions").json()
    assert [(v["id"], v["isCurrent"]) for v in versions] == [
        (second["id"], True), (first["id"], False),
    ]  # fmt: skip
    api.post(f"/asset-library/{first['id']}/make-current")
    plan = _plan(api, drama["id"], kinds=["portrait"])
    assert _keys(plan["satisfied"]) == {("portrait", "char_001")}


def test_the_drama_owner_owns_an_image_staff_put_on_the_drama(api, staff_api, user):
    drama = small_drama(api, episodes=1, scenes=1, characters=1)
    theirs = upload(staff_api, png(), "staff.png").json()

    attached = staff_api.post(
        f"/asset-library/{theirs['id']}/attach",
        {"dramaId": drama["id"], "characterId": "char_001"},
        format="json",
    )

    assert attached.status_code == 201, attached.content
    assert attached.json()["ownerId"] == user.pk
    assert attached.json()["key"].startswith(f"{user.pk}/{drama['id']}/assets/")


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"characterId": "char_001"}, "dramaId"),
        ({"kind": "portrait"}, "dramaId"),
        ({"dramaId": "{drama}"}, "characterId"),
        ({"dramaId": "{drama}", "characterId": "char_001", "sceneId": "sc_01_01"}, "characterId"),
        ({"dramaId": "{drama}", "sceneId": "sc_01_01"}, "episodeId"),
        ({"dramaId": "{drama}", "episodeId": "ep_01"}, "sceneId"),
        ({"dramaId": "{drama}", "characterId": "char_001", "kind": "storyboard"}, "kind"),
        ({"dramaId": "{drama}", "episodeId": "ep_01", "sceneId": "sc_01_01", "kind": "portrait"},
         "kind"),
        ({"dramaId": "{drama}", "characterId": "char_001", "kind": "clip"}, "kind"),
        ({"dramaId": "{drama}", "characterId": "char_001", "project": "mine"}, "project"),
    ],
    ids=["no-drama", "kind-alone", "no-target", "two-targets", "scene-without-episode",
         "episode-without-scene", "storyboard-of-a-character", "portrait-of-a-scene",
         "not-an-own-media-kind", "project-with-a-target"],
)  # fmt: skip
def test_it_refuses_an_upload_whose_target_is_not_clear(api, make_drama, fields, field):
    drama = make_drama()["id"]
    fields = {k: v.format(drama=drama) for k, v in fields.items()}

    error = assert_error(upload(api, png(), "a.png", **fields), 400, field)

    assert field in error["message"]
    assert not Asset.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "dramaId"),
        ({"dramaId": "{drama}"}, "characterId"),
        ({"dramaId": "{drama}", "characterId": "char_001", "kind": "storyboard"}, "kind"),
        ({"dramaId": 7, "characterId": "char_001"}, "dramaId"),
    ],
    ids=["empty", "no-target", "kind-mismatch", "not-a-string"],
)
def test_it_refuses_an_attach_whose_target_is_not_clear(api, make_drama, body, field):
    drama = make_drama()["id"]
    asset_id = upload(api, png(), "a.png").json()["id"]
    body = {k: v.format(drama=drama) if isinstance(v, str) else v for k, v in body.items()}

    response = api.post(f"/asset-library/{asset_id}/attach", body, format="json")

    assert field in assert_error(response, 400, field)["message"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"dramaId": "drama_nope", "characterId": "char_001"}, "No drama with id 'drama_nope'"),
        ({"dramaId": "{drama}", "characterId": "char_404"}, "No character with id 'char_404'"),
        ({"dramaId": "{drama}", "episodeId": "ep_09", "sceneId": "sc_01_01"},
         "No episode with id 'ep_09'"),
        ({"dramaId": "{drama}", "episodeId": "ep_01", "sceneId": "sc_09"},
         "No scene with id 'sc_09'"),
    ],
    ids=["drama", "character", "episode", "scene"],
)  # fmt: skip
def test_it_answers_404_for_a_target_that_is_not_there(api, make_drama, target, message):
    drama = make_drama()["id"]
    target = {k: v.format(drama=drama) for k, v in target.items()}
    asset_id = upload(api, png(), "a.png").json()["id"]

    uploaded = upload(api, png(), "b.png", **target)
    attached = api.post(f"/asset-library/{asset_id}/attach", target, format="json")

    assert message in assert_error(uploaded, 404)["message"]
    assert message in assert_error(attached, 404)["message"]
    assert Asset.objects.count() == 1


def test_nobody_puts_media_on_a_drama_or_uses_an_upload_that_is_not_theirs(
    api, other_api, make_drama
):
    drama = make_drama()["id"]
    mine = upload(api, png(), "mine.png").json()["id"]
    theirs = upload(other_api, png(), "theirs.png").json()["id"]
    target = {"dramaId": drama, "characterId": "char_001"}

    assert_error(upload(other_api, png(), "x.png", **target), 404)
    assert_error(other_api.post(f"/asset-library/{theirs}/attach", target, format="json"), 404)
    assert_error(api.post(f"/asset-library/{theirs}/attach", target, format="json"), 404)
    assert_error(other_api.post(f"/asset-library/{mine}/attach", target, format="json"), 404)
    assert not Asset.objects.exclude(kind="upload").exists()


def test_a_moderator_sees_an_upload_but_may_not_attach_it(
    api, client_for, django_user_model, make_drama
):
    moderator = django_user_model.objects.create_user(username="mod", password="pw-mod-1")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    moderator_api = client_for(moderator)
    theirs = upload(api, png(), "theirs.png").json()["id"]
    drama = make_drama(moderator_api)["id"]

    response = moderator_api.post(
        f"/asset-library/{theirs}/attach",
        {"dramaId": drama, "characterId": "char_001"},
        format="json",
    )

    assert "owner of the upload" in assert_error(response, 403)["message"]


def test_it_takes_only_images(api, make_drama):
    drama = make_drama()["id"]
    video = upload(api, MP4, "clip.mp4").json()["id"]

    uploaded = upload(api, MP4, "clip.mp4", dramaId=drama, characterId="char_001")
    attached = api.post(
        f"/asset-library/{video}/attach",
        {"dramaId": drama, "episodeId": "ep_01", "sceneId": "sc_01_01"},
        format="json",
    )

    assert (
        "A portrait must be an image; the file is video/mp4"
        in (assert_error(uploaded, 415)["message"])
    )
    assert (
        "A storyboard must be an image; the assetId is video/mp4"
        in (assert_error(attached, 415)["message"])
    )
    assert not Asset.objects.exclude(kind="upload").exists()


def test_it_attaches_only_uploads_that_were_not_rejected(api, make_drama, staff_user):
    drama = make_drama()["id"]
    target = {"dramaId": drama, "characterId": "char_001"}
    made = upload(api, png(), "a.png", **target).json()["id"]
    rejected = Asset.objects.get(public_id=upload(api, png(), "b.png").json()["id"])
    rejected.review_status = Asset.Review.REJECTED
    rejected.save(update_fields=["review_status"])

    not_upload = api.post(f"/asset-library/{made}/attach", target, format="json")
    refused = api.post(f"/asset-library/{rejected.public_id}/attach", target, format="json")

    assert "only uploads can be attached" in assert_error(not_upload, 409)["message"]
    assert "rejected in review" in assert_error(refused, 409)["message"]
