"""The asset library on both storages: local files and a real S3 server (SeaweedFS).

Each test runs twice through the `media` fixture and reads the storage back around the
product: keys, content types, sidecars, and that deletes leave nothing behind.
"""

from __future__ import annotations

import io
import json
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import imageio_ffmpeg
import pytest
from django.contrib.auth.models import Group
from PIL import Image

from assets.models import Asset
from assets.services import AssetContent, asset_store
from dramas.models import Character, Drama, Scene
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def png(width: int = 90, height: int = 160, color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def mp4(seconds: float = 1, *, extra: tuple[str, ...] = ()) -> bytes:
    """A real 64x48 H.264 MP4 with AAC sound, made by ffmpeg: uploads are decoded, not
    trusted. `extra` goes to ffmpeg before the output, e.g. `("-movflags", "+faststart")`."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "clip.mp4"
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin",
             "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-f", "lavfi",
             "-i", "sine=frequency=440:sample_rate=8000", "-t", str(seconds), "-c:v", "libx264",
             "-pix_fmt", "yuv420p", "-c:a", "aac", *extra, str(out)],
            check=True, timeout=60,
        )  # fmt: skip
        return out.read_bytes()


MP4 = mp4()


def upload(client, data: bytes, name: str, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")}
    body.update(fields)
    return client.post("/asset-library/upload", body, format="multipart")


def store_generated(drama: Drama, *, kind: str, entity, data: bytes, **extra) -> Asset:
    """What the generation jobs do with an image a provider made."""
    content = AssetContent(
        data=data,
        content_type="image/png",
        ext="png",
        media_type="image",
        kind=kind,
        prompt=extra.pop("prompt", f"a {kind}"),
        provider="local",
        model="offline-image-1",
        **extra,
    )
    return asset_store(owner=drama.owner, project=drama.public_id, content=content, entity=entity)


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user(username="mod", password="pw-mod-12345")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def moderator_api(client_for, moderator):
    return client_for(moderator)


# ---------------------------------------------------------------- layout and sidecars
def test_an_upload_lands_at_the_layout_key_with_its_sidecar(api, user, media):
    data = png()

    response = upload(api, data, "poster.png", tag="poster", project="promo",
                      metadata=json.dumps({"note": "hi"}))  # fmt: skip

    assert response.status_code == 201, response.content
    body = response.json()
    asset_id = body["id"]
    key = f"{user.pk}/promo/assets/{asset_id}.png"
    sidecar = f"{user.pk}/promo/assets/{asset_id}_metadata.json"
    assert body["key"] == key
    assert media.keys() == sorted([key, sidecar])
    assert media.read(key) == data
    if media.kind == "s3":
        assert media.content_type(key) == "image/png"
        assert media.content_type(sidecar) == "application/json"
    meta = json.loads(media.read(sidecar))
    assert meta["assetId"] == asset_id
    assert meta["userId"] == user.pk
    assert meta["projectName"] == "promo"
    assert meta["assetType"] == "image"
    assert meta["tag"] == "poster"
    assert meta["filename"] == "poster.png"
    assert meta["key"] == key
    assert meta["sizeBytes"] == len(data)
    assert meta["reviewStatus"] == "pending_review"
    assert meta["metadata"]["source"] == "upload"
    assert meta["metadata"]["extra"]["note"] == "hi"
    assert meta["metadata"]["extra"]["width"] == 90
    assert meta["createdAt"]


def test_generated_assets_are_keyed_by_owner_and_drama(user, make_drama, media):
    drama = Drama.objects.get(public_id=make_drama()["id"])
    character = Character.objects.get(drama=drama, key="char_001")

    asset = store_generated(drama, kind="portrait", entity=character, data=png())

    assert asset.file.name == f"{user.pk}/{drama.public_id}/assets/{asset.public_id}.png"
    assert asset.slot == f"character:{character.pk}:portrait"
    assert (asset.version, asset.is_current, asset.review_status) == (1, True, "pending_review")
    sidecar = json.loads(media.read(f"{user.pk}/{drama.public_id}/assets/"
                                    f"{asset.public_id}_metadata.json"))  # fmt: skip
    assert sidecar["metadata"]["prompt"] == "a portrait"
    assert sidecar["metadata"]["source"] == "local"


# ---------------------------------------------------------------- versions
def test_regenerating_adds_a_version_and_the_old_one_can_be_switched_back(api, make_drama, media):
    drama = Drama.objects.get(public_id=make_drama()["id"])
    scene = Scene.objects.get(drama=drama, key="sc_01_01")
    first = store_generated(drama, kind="storyboard", entity=scene, data=png(color=(1, 2, 3)))
    second = store_generated(drama, kind="storyboard", entity=scene, data=png(color=(4, 5, 6)))

    versions = api.get(f"/asset-library/{second.public_id}/versions").json()
    current = api.get(f"/dramas/{drama.public_id}/episodes/ep_01/scenes/sc_01_01/assets").json()

    assert [(v["version"], v["isCurrent"]) for v in versions] == [(2, True), (1, False)]
    assert [a["id"] for a in current] == [second.public_id]

    switched = api.post(f"/asset-library/{first.public_id}/make-current")

    assert switched.status_code == 200
    assert switched.json()["isCurrent"] is True
    scene_view = api.get(f"/dramas/{drama.public_id}/episodes/ep_01/scenes/sc_01_01").json()
    assert [a["id"] for a in scene_view["assets"]] == [first.public_id]
    every = api.get(
        f"/dramas/{drama.public_id}/episodes/ep_01/scenes/sc_01_01/assets?versions=true"
    ).json()
    assert len(every) == 2
    # The sidecars say the same as the rows.
    for asset, is_current in ((first, True), (second, False)):
        meta = api.get(f"/asset-library/{asset.public_id}/metadata").json()
        assert meta["sidecar"]["isCurrent"] is is_current
        assert meta["asset"]["isCurrent"] is is_current


def test_deleting_the_current_version_makes_the_previous_one_current(
    api, make_drama, media, django_capture_on_commit_callbacks
):
    drama = Drama.objects.get(public_id=make_drama()["id"])
    scene = Scene.objects.get(drama=drama, key="sc_01_01")
    first = store_generated(drama, kind="storyboard", entity=scene, data=png(color=(1, 2, 3)))
    second = store_generated(drama, kind="storyboard", entity=scene, data=png(color=(4, 5, 6)))

    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/asset-library/{second.public_id}")

    assert response.status_code == 204
    first.refresh_from_db()
    assert first.is_current
    assert not any(second.public_id in key for key in media.keys())
    assert json.loads(media.read(first.file.name.replace(".png", "_metadata.json")))["isCurrent"]


# ---------------------------------------------------------------- download, list, metadata
def test_download_streams_locally_and_redirects_to_a_signed_url_on_s3(api, media):
    data = png()
    asset_id = upload(api, data, "still.png").json()["id"]

    response = api.get(f"/asset-library/{asset_id}")

    if media.kind == "local":
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == data
    else:
        assert response.status_code == 302
        url = response["Location"]
        assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
        with urllib.request.urlopen(url, timeout=10) as fetched:
            assert fetched.read() == data
            assert fetched.headers["Content-Type"] == "image/png"


def test_the_list_filters_and_paginates(api, media):
    upload(api, png(), "a.png", tag="hero", project="one")
    upload(api, png(), "b.png", tag="villain", project="one")
    upload(api, MP4, "c.mp4", tag="hero", project="two")

    def ids(query: str) -> int:
        return api.get(f"/asset-library/list?{query}").json()["count"]

    assert ids("") == 3
    assert ids("type=image") == 2
    assert ids("type=video") == 1
    assert ids("tag=hero") == 2
    assert ids("project=one&tag=hero") == 1
    assert ids("reviewStatus=pending_review") == 3
    assert ids("reviewStatus=approved") == 0
    assert ids("current=false") == 0
    assert ids("kind=upload") == 3
    page = api.get("/asset-library/list?pageSize=2").json()
    assert len(page["results"]) == 2 and page["next"]


def test_a_user_sees_only_their_own_assets(api, other_api, media):
    mine = upload(api, png(), "mine.png").json()["id"]

    assert other_api.get("/asset-library/list").json()["count"] == 0
    assert_error(other_api.get(f"/asset-library/{mine}"), 404)
    assert_error(other_api.get(f"/asset-library/{mine}/metadata"), 404)
    assert_error(other_api.delete(f"/asset-library/{mine}"), 404)
    assert Asset.objects.filter(public_id=mine).exists()


# ---------------------------------------------------------------- upload checks
@pytest.mark.parametrize(
    "data, name, fields, status, field",
    [
        (png(), "clip.mp4", {}, 415, None),  # a PNG named .mp4
        (b"print('hello')\n", "frame.png", {}, 415, None),  # a script named .png
        (png()[:200], "cut.png", {}, 400, "file"),  # a truncated image
        (png(), "still.png", {"type": "video"}, 415, None),  # declared type contradicts
        (b"\x00\x01\x02\x03binary", "blob", {}, 415, None),  # nothing we accept
        (png(), "x.png", {"project": "../../etc"}, 400, "project"),
        (png(), "x.png", {"metadata": "[1, 2]"}, 400, "metadata"),
        (png(), "x.png", {"metadata": "{not json"}, 400, "metadata"),
        (b"", "empty.png", {}, 400, "file"),
    ],
)
def test_it_refuses_uploads_whose_bytes_do_not_hold_up(api, media, data, name, fields,
                                                      status, field):  # fmt: skip
    response = upload(api, data, name, **fields)

    assert_error(response, status, field)
    assert not Asset.objects.exists()
    assert media.keys() == []


def test_it_refuses_an_upload_over_the_size_limit(api, media, settings):
    settings.UPLOAD_MAX_BYTES = 2048

    response = upload(api, png(400, 400, (1, 2, 3)) + b"\x00" * 4096, "big.png")

    assert_error(response, 413)
    assert media.keys() == []


def test_it_refuses_an_upload_without_a_file(api, media):
    assert_error(api.post("/asset-library/upload", {"tag": "x"}, format="multipart"), 400, "file")


def test_it_ignores_the_clients_name_for_the_key_and_sanitises_it_for_display(api, user, media):
    response = upload(api, png(), '../../../etc/pass"wd<script>.png')

    body = response.json()
    assert response.status_code == 201
    assert body["key"] == f"{user.pk}/uploads/assets/{body['id']}.png"
    assert body["filename"] == "pass_wd_script_.png"
    assert all(".." not in key and "etc" not in key for key in media.keys())


def test_a_nameless_upload_takes_its_extension_from_its_bytes(api, media):
    body = upload(api, MP4, "recording").json()

    assert body["mediaType"] == "video"
    assert body["contentType"] == "video/mp4"
    assert body["key"].endswith(".mp4")


# ---------------------------------------------------------------- moderation
def test_moderators_approve_and_reject_and_the_sidecar_follows(api, moderator_api, moderator,
                                                               media):  # fmt: skip
    first = upload(api, png(), "a.png").json()["id"]
    second = upload(api, png(), "b.png").json()["id"]

    queue = moderator_api.get("/asset-library/list?reviewStatus=pending_review").json()
    approved = moderator_api.post(f"/asset-library/{first}/approve", {}, format="json")
    rejected = moderator_api.post(
        f"/asset-library/{second}/reject", {"reason": "Wrong face"}, format="json"
    )

    assert [a["id"] for a in queue["results"]] == [first, second]  # oldest first
    assert approved.status_code == 200
    assert approved.json()["reviewStatus"] == "approved"
    assert approved.json()["reviewedBy"] == "mod"
    assert approved.json()["reviewedAt"]
    assert rejected.json()["reviewStatus"] == "rejected"
    assert rejected.json()["reviewReason"] == "Wrong face"
    asset = Asset.objects.get(public_id=second)
    assert asset.reviewed_by == moderator
    assert (
        json.loads(media.read(asset.file.name.replace(".png", "_metadata.json")))["reviewReason"]
        == "Wrong face"
    )
    assert api.get("/asset-library/list?reviewStatus=pending_review").json()["count"] == 0


def test_only_moderators_may_review(api, media):
    asset_id = upload(api, png(), "a.png").json()["id"]

    assert_error(api.post(f"/asset-library/{asset_id}/approve", {}, format="json"), 403)
    assert_error(api.post(f"/asset-library/{asset_id}/reject", {"reason": "x"}, format="json"), 403)
    assert Asset.objects.get(public_id=asset_id).review_status == "pending_review"


def test_a_rejection_needs_a_reason(api, moderator_api, media):
    asset_id = upload(api, png(), "a.png").json()["id"]

    assert_error(
        moderator_api.post(f"/asset-library/{asset_id}/reject", {}, format="json"), 400, "reason"
    )
    assert Asset.objects.get(public_id=asset_id).review_status == "pending_review"


def test_the_moderators_group_exists_after_migrate():
    group = Group.objects.get(name="Moderators")

    assert group.permissions.filter(codename="moderate_asset").exists()


# ---------------------------------------------------------------- no orphans
def test_deleting_a_drama_removes_every_file_of_it(
    api, make_drama, media, django_capture_on_commit_callbacks
):
    drama = Drama.objects.get(public_id=make_drama()["id"])
    for character in Character.objects.filter(drama=drama):
        store_generated(drama, kind="portrait", entity=character, data=png())
    for scene in Scene.objects.filter(drama=drama):
        store_generated(drama, kind="storyboard", entity=scene, data=png())
        store_generated(drama, kind="storyboard", entity=scene, data=png(color=(9, 9, 9)))
    kept = upload(api, png(), "unrelated.png").json()["key"]
    assert len(media.keys()) == 2 * (3 + 2 * 4) + 2

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/dramas/{drama.public_id}").status_code == 204

    assert media.keys() == sorted([kept, kept.replace(".png", "_metadata.json")])
    assert Asset.objects.count() == 1


def test_a_script_rewrite_that_drops_a_character_removes_its_files(
    user, make_drama, media, django_capture_on_commit_callbacks
):
    from dramas.services import script_of, script_save

    drama = Drama.objects.get(public_id=make_drama()["id"])
    dropped = Character.objects.get(drama=drama, key="char_003")
    store_generated(drama, kind="portrait", entity=dropped, data=png())
    script = script_of(drama)
    script["characters"] = [c for c in script["characters"] if c["id"] != "char_003"]
    for episode in script["episodes"]:
        for scene in episode["scenes"]:
            scene["characters"] = [c for c in scene["characters"] if c != "char_003"]
            scene["dialogue"] = [d for d in scene["dialogue"] if d["character"] != "char_003"]

    with django_capture_on_commit_callbacks(execute=True):
        script_save(drama=drama, script=script, expected_version=None)

    assert media.keys() == []
    assert not Asset.objects.exists()


def test_a_scripts_rows_deleted_outside_the_api_take_their_files_with_them(
    user, make_drama, media, django_capture_on_commit_callbacks
):
    drama = Drama.objects.get(public_id=make_drama()["id"])
    scene = Scene.objects.filter(drama=drama).first()
    kept = store_generated(drama, kind="portrait", entity=Character.objects.filter(
        drama=drama).first(), data=png())  # fmt: skip
    store_generated(drama, kind="storyboard", entity=scene, data=png())
    store_generated(drama, kind="storyboard", entity=scene, data=png(color=(9, 9, 9)))

    with django_capture_on_commit_callbacks(execute=True):
        scene.delete()  # as the admin does: no service, only the cascade

    assert media.keys() == sorted(
        [kept.file.name, kept.file.name.replace(".png", "_metadata.json")]
    )
    assert list(Asset.objects.all()) == [kept]


def test_a_failed_sidecar_write_leaves_neither_row_nor_file(api, media, monkeypatch):
    import assets.services

    def broken(asset):
        raise OSError("storage went away")

    monkeypatch.setattr(assets.services, "write_sidecar", broken)

    with pytest.raises(OSError):
        upload(api, png(), "a.png")

    assert not Asset.objects.exists()
    assert media.keys() == []


def test_a_failed_row_insert_leaves_no_file(user, make_drama, media, monkeypatch):
    from django.db import DatabaseError

    drama = Drama.objects.get(public_id=make_drama()["id"])
    character = Character.objects.get(drama=drama, key="char_001")

    def broken(self, *args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Asset, "save", broken)

    with pytest.raises(DatabaseError):
        store_generated(drama, kind="portrait", entity=character, data=png())

    assert media.keys() == []


# ---------------------------------------------------------------- the storage check
def test_the_storage_check_finds_and_removes_orphans_and_repairs_sidecars(api, media):
    from django.core.management import call_command

    from assets.storage import media_storage, remove_keys

    kept = upload(api, png(), "kept.png").json()
    lost_sidecar = upload(api, png(), "bare.png").json()
    remove_keys([lost_sidecar["key"].replace(".png", "_metadata.json")])
    orphan = f"{kept['ownerId']}/uploads/assets/asset_0123456789abcdef.png"
    media_storage().save(orphan, io.BytesIO(b"left behind"))
    unrelated = "notes/readme.txt"
    media_storage().save(unrelated, io.BytesIO(b"not an asset"))
    report = io.StringIO()

    call_command("storage_check", "--min-age=0", stdout=report)
    assert f"orphan file: {orphan}" in report.getvalue()
    assert f"missing sidecar: {lost_sidecar['id']}" in report.getvalue()
    assert orphan in media.keys()  # reporting changes nothing

    call_command("storage_check", "--delete", "--repair", "--min-age=0", stdout=io.StringIO())

    keys = media.keys()
    assert orphan not in keys
    assert unrelated in keys  # only what looks like an asset is ever deleted
    assert kept["key"] in keys
    assert lost_sidecar["key"].replace(".png", "_metadata.json") in keys
    again = io.StringIO()
    call_command("storage_check", "--min-age=0", stdout=again)
    assert "0 orphan(s), 0 row(s) without a file, 0 missing sidecar(s)" in again.getvalue()


def test_the_storage_check_leaves_young_files_alone(api, media):
    from django.core.management import call_command

    from assets.storage import media_storage

    orphan = "7/uploads/assets/asset_00000000000000aa.png"
    media_storage().save(orphan, io.BytesIO(b"a store in progress"))

    call_command("storage_check", "--delete", stdout=io.StringIO())

    assert orphan in media.keys()
