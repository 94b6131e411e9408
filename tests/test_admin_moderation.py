"""The admin as the staff's and the moderators' workplace: the asset library with previews and
version history, the moderation queue, and what a moderator may open."""

from __future__ import annotations

import importlib
import json
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from assets import services
from assets.models import Asset, sidecar_key
from assets.services import AssetContent, asset_store
from dramas.models import Character, Drama, Episode, Scene
from dramas.serializers import DramaCreateInput
from dramas.services import drama_create
from tests.conftest import drama_body
from tests.test_assets import MP4, png, store_generated, upload
from tests.test_browser import log_in, page  # noqa: F401 - a fixture
from tests.test_media_access import dev_server  # noqa: F401 - a fixture
from tests.test_upload_probe import wav
from tests.workers import ROOT

pytestmark = pytest.mark.django_db

ASSETS = "/admin/assets/asset/"
QUEUE = "/admin/assets/moderationitem/"


# ---------------------------------------------------------------- people and media
@pytest.fixture
def moderator(django_user_model):
    """A staff user in the Moderators group and nothing more."""
    user = django_user_model.objects.create_user(
        username="mod", password="pw-moderator-1", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def editor(django_user_model):
    """Staff who look after the library (view, change, delete) but do not moderate."""
    user = django_user_model.objects.create_user(
        username="editor", password="pw-editor-1", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="assets",
            codename__in=["view_asset", "change_asset", "delete_asset"],
        )
    )
    return user


@pytest.fixture
def producer(django_user_model):
    return django_user_model.objects.create_superuser(username="boss", password="pw-boss-1")


def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def drama(make_drama) -> Drama:
    return Drama.objects.get(public_id=make_drama(title="The Kitchen War")["id"])


def portrait(drama: Drama, key: str = "char_001", data: bytes = b"", **extra) -> Asset:
    character = Character.objects.get(drama=drama, key=key)
    return store_generated(drama, kind="portrait", entity=character, data=data or png(), **extra)


def clip(drama: Drama) -> Asset:
    scene = Scene.objects.filter(episode__drama=drama).order_by("id").first()
    content = AssetContent(data=MP4, content_type="video/mp4", ext="mp4", media_type="video",
                           kind="clip", prompt="they argue", provider="local",
                           model="offline-video-1")  # fmt: skip
    return asset_store(owner=drama.owner, project=drama.public_id, content=content, entity=scene)


def made_days_ago(asset: Asset, days: float) -> Asset:
    # Only the test moves an asset back in time: the product stamps created_at itself.
    Asset.objects.filter(pk=asset.pk).update(created_at=timezone.now() - timedelta(days=days))
    asset.refresh_from_db()
    return asset


def html(response) -> str:
    assert response.status_code == 200, (response.status_code, response.content[:500])
    return response.content.decode()


def row_ids(text: str) -> list[str]:
    """The asset ids of the queue's rows, in order."""
    return re.findall(r'class="asset-summary" data-asset="(asset_[0-9a-f]+)"', text)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def record(api, asset: Asset) -> dict:
    """The asset as the API tells its owner: GET /asset-library/{id}/metadata."""
    response = api.get(f"/asset-library/{asset.public_id}/metadata")
    assert response.status_code == 200, response.content
    return response.json()


# ---------------------------------------------------------------- previews
def test_the_asset_list_shows_thumbnails_and_players(client, api, producer):
    image = upload(api, png(), "still.png").json()
    video = upload(api, MP4, "clip.mp4").json()
    sound = upload(api, wav(), "voice.wav").json()

    text = html(logged_in(client, producer).get(ASSETS))

    assert re.search(rf'<img src="/media/{re.escape(image["key"])}\?sig=[^"]+"', text)
    assert re.search(rf'<video src="/media/{re.escape(video["key"])}\?sig=[^"]+"[^>]* controls',
                     text)  # fmt: skip
    assert re.search(rf'<audio src="/media/{re.escape(sound["key"])}\?sig=[^"]+"[^>]* controls',
                     text)  # fmt: skip


def test_the_asset_page_shows_a_large_preview_and_a_player(client, drama, producer):
    still, video = portrait(drama), clip(drama)
    client = logged_in(client, producer)

    image_page = html(client.get(f"{ASSETS}{still.pk}/change/"))
    video_page = html(client.get(f"{ASSETS}{video.pk}/change/"))

    assert f'<img src="{still.file.url}"' in image_page
    assert "max-height:640px" in image_page
    assert re.search(rf'<video src="{re.escape(video.file.url)}#t=0.001"[^>]* controls', video_page)
    assert "The Kitchen War" in video_page


# ---------------------------------------------------------------- versions
def test_the_asset_page_lists_every_version_with_who_when_and_review(client, drama, producer,
                                                                     moderator):  # fmt: skip
    first = portrait(drama)
    services.asset_reject(asset=first, reviewer=moderator, reason="Eyes too far apart")
    second = portrait(drama)

    text = html(logged_in(client, producer).get(f"{ASSETS}{first.pk}/change/"))

    versions = text.split('id="asset-versions"', 1)[1].split("</fieldset>", 1)[0]
    assert versions.index("v2") < versions.index("v1")
    assert f'href="{ASSETS}{second.pk}/change/"' in versions
    assert "current" in versions.split("v1", 1)[0]  # v2 is the current one
    assert "local · offline-image-1 · for writer" in versions
    assert "Rejected" in versions and "by mod" in versions and "Eyes too far apart" in versions
    assert "Pending review" in versions
    # Only the version that is not current can be made current.
    assert f'form="make-current-{first.pk}"' in versions
    assert f'form="make-current-{second.pk}"' not in versions
    assert f'action="{ASSETS}{first.pk}/make-current/"' in text


def test_make_current_switches_the_slot_back_through_the_service(client, api, drama, producer,
                                                                 media):  # fmt: skip
    first = portrait(drama)
    second = portrait(drama)
    text = f"{ASSETS}{second.pk}/change/"

    response = logged_in(client, producer).post(f"{ASSETS}{first.pk}/make-current/",
                                                {"next": text}, follow=True)  # fmt: skip

    assert response.redirect_chain == [(text, 302)]
    assert "Version 1 is now the current one" in messages_of(response)[0]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_current, second.is_current) == (True, False)
    # The sidecars say so too: the service rewrote both.
    assert json.loads(media.read(sidecar_key(first.file.name)))["isCurrent"] is True
    assert json.loads(media.read(sidecar_key(second.file.name)))["isCurrent"] is False
    assert [v["version"] for v in record(api, first)["versions"] if v["isCurrent"]] == [1]


def test_make_current_is_a_post_by_someone_who_may_change_assets(client, drama, moderator):
    first = portrait(drama)
    portrait(drama)
    client = logged_in(client, moderator)

    text = html(client.get(f"{ASSETS}{first.pk}/change/"))
    refused = client.post(f"{ASSETS}{first.pk}/make-current/")
    get = client.get(f"{ASSETS}{first.pk}/make-current/")

    assert "make-current" not in text
    assert refused.status_code == 403
    assert get.status_code == 405
    first.refresh_from_db()
    assert first.is_current is False


# ---------------------------------------------------------------- reviewing
def test_a_moderator_approves_and_rejects_from_the_asset_page(client, api, drama, moderator):
    good, bad = portrait(drama), portrait(drama, "char_002")
    client = logged_in(client, moderator)

    text = html(client.get(f"{ASSETS}{good.pk}/change/"))
    approved = client.post(f"{ASSETS}{good.pk}/review/", {"decision": "approve"}, follow=True)
    rejected = client.post(
        f"{ASSETS}{bad.pk}/review/", {"decision": "reject", "reason": "Wrong hair colour"},
        follow=True,
    )  # fmt: skip

    assert 'id="review-decision"' in text and 'form="review-reject"' in text
    assert messages_of(approved) == [f"Approved portrait {good.public_id}."]
    assert messages_of(rejected) == [f"Rejected portrait {bad.public_id}."]
    assert rejected.redirect_chain == [(f"{ASSETS}{bad.pk}/change/", 302)]
    good_record, bad_record = record(api, good)["asset"], record(api, bad)["asset"]
    assert (good_record["reviewStatus"], good_record["reviewedBy"]) == ("approved", "mod")
    assert (bad_record["reviewStatus"], bad_record["reviewedBy"]) == ("rejected", "mod")
    assert bad_record["reviewReason"] == "Wrong hair colour"
    assert record(api, bad)["sidecar"]["reviewReason"] == "Wrong hair colour"
    # The admin's history of the asset says who did what.
    history = html(client.get(f"{ASSETS}{bad.pk}/history/"))
    assert "Rejected: Wrong hair colour" in history


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_without_a_reason_is_refused_with_a_message(client, api, drama, moderator,
                                                                reason):  # fmt: skip
    asset = portrait(drama)
    client = logged_in(client, moderator)

    one = client.post(f"{ASSETS}{asset.pk}/review/", {"decision": "reject", "reason": reason},
                      follow=True)  # fmt: skip
    bulk = client.post(QUEUE, {"action": "reject", "_selected_action": [asset.pk],
                               "reason": reason}, follow=True)  # fmt: skip

    for response in (one, bulk):
        assert response.status_code == 200
        assert messages_of(response) == ["Write the reason for rejecting first: nothing was "
                                         "rejected."]  # fmt: skip
    assert record(api, asset)["asset"]["reviewStatus"] == "pending_review"


def test_bulk_review_from_the_queue_records_the_reason(client, api, drama, moderator):
    one, two, three = portrait(drama), portrait(drama, "char_002"), portrait(drama, "char_003")
    client = logged_in(client, moderator)

    approved = client.post(QUEUE, {"action": "approve", "_selected_action": [one.pk]},
                           follow=True)  # fmt: skip
    rejected = client.post(QUEUE, {"action": "reject", "_selected_action": [two.pk, three.pk],
                                   "reason": "Off model"}, follow=True)  # fmt: skip

    assert messages_of(approved) == ["Approved 1 asset(s)."]
    assert messages_of(rejected) == ["Rejected 2 asset(s)."]
    assert record(api, one)["asset"]["reviewStatus"] == "approved"
    for asset in (two, three):
        body = record(api, asset)["asset"]
        assert (body["reviewStatus"], body["reviewReason"]) == ("rejected", "Off model")


def test_staff_who_do_not_moderate_get_no_review_controls(client, drama, editor):
    asset = portrait(drama)
    client = logged_in(client, editor)

    text = html(client.get(f"{ASSETS}{asset.pk}/change/"))
    listing = html(client.get(ASSETS))
    posted = client.post(f"{ASSETS}{asset.pk}/review/", {"decision": "approve"})

    assert 'id="review-decision"' not in text
    assert 'value="approve"' not in listing
    assert posted.status_code == 403
    assert client.get(QUEUE).status_code == 403
    asset.refresh_from_db()
    assert asset.review_status == "pending_review"


# ---------------------------------------------------------------- the queue
def test_the_queue_lists_what_waits_first_oldest_first_then_the_latest_decisions(
    client, drama, moderator
):
    decided_long_ago = made_days_ago(portrait(drama, "char_001"), 9)
    waiting_old = made_days_ago(portrait(drama, "char_002"), 3)
    decided_lately = made_days_ago(portrait(drama, "char_003"), 5)
    waiting_new = clip(drama)
    services.asset_approve(asset=decided_long_ago, reviewer=moderator)
    services.asset_reject(asset=decided_lately, reviewer=moderator, reason="Blurred")

    text = html(logged_in(client, moderator).get(QUEUE))

    assert row_ids(text) == [waiting_old.public_id, waiting_new.public_id,
                             decided_lately.public_id, decided_long_ago.public_id]  # fmt: skip


def test_the_queue_shows_large_previews_and_each_rows_review_controls(client, drama, moderator):
    still, video = portrait(drama), clip(drama)
    services.asset_approve(asset=still, reviewer=moderator)

    text = html(logged_in(client, moderator).get(QUEUE))

    assert f'<img src="{still.file.url}"' in text
    assert "max-width:240px;max-height:427px" in text
    assert re.search(rf'<video src="{re.escape(video.file.url)}#t=0.001"[^>]* controls', text)
    for asset in (still, video):
        review = reverse("admin:assets_asset_review", args=[asset.pk])
        assert f'<form id="reject-{asset.pk}" method="post" action="{review}"' in text
        assert f'<form id="approve-{asset.pk}" method="post" action="{review}"' in text
        assert re.search(rf'<input type="text" name="reason" form="reject-{asset.pk}" required',
                         text)  # fmt: skip
    # An approved asset can still be rejected, not approved again.
    assert f'form="approve-{still.pk}"' not in text
    assert f'form="approve-{video.pk}"' in text
    assert "character Person 1 (char_001)" in text


def test_a_row_of_the_queue_is_decided_and_the_queue_comes_back_filtered(client, api, drama,
                                                                         moderator):  # fmt: skip
    asset = portrait(drama)
    client = logged_in(client, moderator)
    filtered = f"{QUEUE}?kind=portrait"

    response = client.post(reverse("admin:assets_asset_review", args=[asset.pk]),
                           {"decision": "reject", "reason": "Two noses", "next": filtered},
                           follow=True)  # fmt: skip
    elsewhere = client.post(reverse("admin:assets_asset_review", args=[asset.pk]),
                            {"decision": "approve", "next": "https://evil.example/"})  # fmt: skip

    assert response.redirect_chain == [(filtered, 302)]
    assert messages_of(response) == [f"Rejected portrait {asset.public_id}."]
    assert "“Two noses”" in response.content.decode()
    assert elsewhere["Location"] == f"{ASSETS}{asset.pk}/change/"
    assert record(api, asset)["asset"]["reviewStatus"] == "approved"


def test_the_queue_filters_by_drama_kind_age_and_status(client, make_drama, moderator):
    kitchen = Drama.objects.get(public_id=make_drama(title="Kitchen")["id"])
    harbour = Drama.objects.get(public_id=make_drama(title="Harbour")["id"])
    today = portrait(kitchen)
    this_week = made_days_ago(clip(kitchen), 3)
    older = made_days_ago(portrait(harbour), 12)
    services.asset_approve(asset=older, reviewer=moderator)
    client = logged_in(client, moderator)

    def shown(query: str) -> set[str]:
        return set(row_ids(html(client.get(f"{QUEUE}?{query}"))))

    assert shown(f"drama__id__exact={kitchen.pk}") == {today.public_id, this_week.public_id}
    assert shown(f"drama__id__exact={harbour.pk}") == {older.public_id}
    assert shown("kind=clip") == {this_week.public_id}
    assert shown("kind=portrait") == {today.public_id, older.public_id}
    assert shown("age=today") == {today.public_id}
    assert shown("age=week") == {today.public_id, this_week.public_id}
    assert shown("age=older") == {older.public_id}
    assert shown("review_status=pending_review") == {today.public_id, this_week.public_id}
    assert shown(f"age=week&kind=clip&drama__id__exact={kitchen.pk}") == {this_week.public_id}
    # The drama filter offers the dramas that have assets, by title.
    text = html(client.get(QUEUE))
    assert ">Kitchen</a>" in text and ">Harbour</a>" in text


def test_an_item_of_the_queue_opens_as_its_asset(client, drama, moderator):
    asset = portrait(drama)

    response = logged_in(client, moderator).get(f"{QUEUE}{asset.pk}/change/")

    assert (response.status_code, response["Location"]) == (302, f"{ASSETS}{asset.pk}/change/")


# ---------------------------------------------------------------- what a moderator may open
def test_the_moderators_group_holds_exactly_what_moderators_need():
    group = Group.objects.get(name="Moderators")
    wanted = {("assets", "view_asset"), ("assets", "moderate_asset")}

    def held() -> set[tuple[str, str]]:
        return set(group.permissions.values_list("content_type__app_label", "codename"))

    assert held() == wanted
    # Running the migration again changes nothing.
    importlib.import_module("assets.migrations.0003_moderators_group").create_group(apps, None)
    assert held() == wanted
    assert Group.objects.filter(name="Moderators").count() == 1


def test_a_moderator_sees_the_assets_and_the_queue_and_nothing_else(client, drama, moderator):
    asset = portrait(drama)
    client = logged_in(client, moderator)

    index = html(client.get("/admin/"))

    model_links = set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/)"', index))
    assert model_links == {ASSETS, QUEUE}
    assert "Moderation queue" in index
    for model in admin.site._registry:
        if model._meta.app_label == "assets":
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 403, url
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/dramas/").status_code == 404  # an app with nothing of theirs
    # The assets they may see, not change.
    text = html(client.get(f"{ASSETS}{asset.pk}/change/"))
    assert 'name="_save"' not in text
    changed = client.post(f"{ASSETS}{asset.pk}/change/", {"prompt": "mine now", "tag": "x"})
    assert changed.status_code == 403
    assert client.post(f"{ASSETS}{asset.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Asset.objects.get(pk=asset.pk).prompt == "a portrait"


def test_someone_who_is_not_staff_is_sent_to_the_login(client, drama, user):
    asset = portrait(drama)
    client = logged_in(client, user)

    for url in (QUEUE, ASSETS, f"{ASSETS}{asset.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    response = client.post(f"{ASSETS}{asset.pk}/review/", {"decision": "approve"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    asset.refresh_from_db()
    assert asset.review_status == "pending_review"


# ---------------------------------------------------------------- other writes go through services
def test_editing_the_prompt_in_the_admin_goes_through_the_service(client, drama, producer, media):
    asset = portrait(drama)

    response = logged_in(client, producer).post(
        f"{ASSETS}{asset.pk}/change/", {"prompt": "a softer portrait", "tag": "hero", "_save": "1"}
    )

    assert response.status_code == 302, response.content[:2000]
    asset.refresh_from_db()
    assert (asset.prompt, asset.tag, asset.metadata["promptEdited"]) == (
        "a softer portrait", "hero", True,
    )  # fmt: skip
    sidecar = json.loads(media.read(sidecar_key(asset.file.name)))
    assert (sidecar["tag"], sidecar["metadata"]["prompt"]) == ("hero", "a softer portrait")
    assert asset.version == 1 and asset.review_status == "pending_review"


def test_there_is_no_adding_assets_in_the_admin(client, producer):
    assert logged_in(client, producer).get(f"{ASSETS}add/").status_code == 403


def test_deleting_versions_in_the_admin_keeps_a_current_one_and_removes_the_files(
    client, drama, producer, media, django_capture_on_commit_callbacks
):
    first, second, third = portrait(drama), portrait(drama), portrait(drama)
    keys = [second.file.name, sidecar_key(second.file.name), third.file.name]

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(client, producer).post(
            ASSETS, {"action": "delete_selected", "_selected_action": [third.pk, second.pk],
                     "post": "yes"},
        )  # fmt: skip

    assert response.status_code == 302
    assert list(Asset.objects.filter(slot=first.slot).values_list("version", "is_current")) == [
        (1, True)
    ]
    assert not set(keys) & set(media.keys())
    assert json.loads(media.read(sidecar_key(first.file.name)))["isCurrent"] is True


# ---------------------------------------------------------------- query counts
def many_assets(drama: Drama, reviewer, count: int) -> None:
    """`count` assets of every sort: on characters, scenes and episodes, images, videos and
    sounds, some decided."""
    entities = [*Character.objects.filter(drama=drama), *Scene.objects.filter(
        episode__drama=drama), *Episode.objects.filter(drama=drama)]  # fmt: skip
    sorts = [("image", "image/png", "png", png()), ("video", "video/mp4", "mp4", MP4),
             ("audio", "audio/wav", "wav", wav(0.2))]  # fmt: skip
    for n in range(count):
        media_type, content_type, ext, data = sorts[n % 3]
        content = AssetContent(data=data, content_type=content_type, ext=ext,
                               media_type=media_type, kind=f"k{n}", prompt=f"take {n}",
                               provider="local", model="offline")  # fmt: skip
        asset = asset_store(owner=drama.owner, project=drama.public_id, content=content,
                            entity=entities[n % len(entities)])  # fmt: skip
        if n % 2:
            services.asset_reject(asset=asset, reviewer=reviewer, reason=f"no {n}")


def queries_for(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        text = html(client.get(url))
    return len(queries), text


@pytest.mark.parametrize("url, rows_at_50", [(ASSETS, 50), (QUEUE, 20)])
def test_the_asset_list_and_the_queue_cost_the_same_queries_for_1_and_50_assets(
    client, make_drama, moderator, url, rows_at_50
):
    client = logged_in(client, moderator)
    first = Drama.objects.get(public_id=make_drama()["id"])
    many_assets(first, moderator, 1)
    client.get(url)  # the session and the content types, once

    at_one, page_one = queries_for(client, url)
    many_assets(Drama.objects.get(public_id=make_drama()["id"]), moderator, 49)
    at_fifty, page_fifty = queries_for(client, url)

    assert page_one.count('class="action-checkbox"') == 1
    assert page_fifty.count('class="action-checkbox"') == rows_at_50
    assert at_fifty == at_one, f"{url}: {at_one} queries for 1 asset, {at_fifty} for 50"


# ---------------------------------------------------------------- in a real browser
SHOTS = ROOT / "test-output" / "admin"


def shoot(browser, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_moderator_works_the_queue_in_a_browser(page, dev_server, client_for, user,  # noqa: F811
                                                  django_user_model):  # fmt: skip
    # Transactional tests run on flushed tables: make the group as its migration does.
    importlib.import_module("assets.migrations.0003_moderators_group").create_group(apps, None)
    moderator = django_user_model.objects.create_user(
        username="mod", password="a-long-moderator-password", is_staff=True
    )
    moderator.groups.add(Group.objects.get(name="Moderators"))
    django_user_model.objects.create_superuser(username="boss", password="a-long-boss-password")
    serializer = DramaCreateInput(data=drama_body(title="The Kitchen War"))
    serializer.is_valid(raise_exception=True)
    drama = drama_create(owner=user, data=serializer.validated_data)
    # Portraits the size a provider makes them (9:16), in colours a person tells apart.
    good = made_days_ago(portrait(drama, "char_001", png(576, 1024, (40, 120, 200))), 2)
    bad = made_days_ago(portrait(drama, "char_002", png(576, 1024, (200, 40, 40))), 1)
    video = clip(drama)
    earlier = made_days_ago(portrait(drama, "char_003", png(576, 1024, (40, 160, 80))), 9)
    services.asset_approve(asset=earlier, reviewer=moderator)
    newer = portrait(drama, "char_003", png(576, 1024, (230, 180, 30)))
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    log_in(page, dev_server, "mod", "a-long-moderator-password")

    # The index offers the assets and the queue, nothing else.
    expect(page.locator("#content-main .app-assets")).to_be_visible()
    assert page.locator("#content-main .module").count() == 1
    expect(page.locator("#content-main")).to_contain_text("Moderation queue")
    shoot(page, "moderator-index")

    page.click("#content-main a[href='/admin/assets/moderationitem/']")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(5)
    order = [rows.nth(n).locator(".asset-summary").get_attribute("data-asset") for n in range(5)]
    assert order == [good.public_id, bad.public_id, video.public_id, newer.public_id,
                     earlier.public_id]  # fmt: skip
    # The previews load through their signed URLs and are big enough to judge.
    still = rows.first.locator("img.asset-media")
    assert still.evaluate("img => img.decode().then(() => img.naturalWidth)") == 576
    assert still.bounding_box()["height"] >= 400
    player = rows.nth(2).locator("video.asset-media")
    assert player.evaluate("v => v.controls") is True
    player.evaluate("v => v.readyState >= 1 || new Promise(r => v.onloadedmetadata = r)")
    assert player.evaluate("v => v.duration") == pytest.approx(1.0, abs=0.1)
    shoot(page, "queue")

    def row(asset: Asset):
        return page.locator("#result_list tbody tr",
                            has=page.locator(f"[data-asset='{asset.public_id}']"))  # fmt: skip

    row(good).get_by_role("button", name="Approve").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Approved portrait {good.public_id}.")

    posted.clear()
    row(bad).get_by_role("button", name="Reject").click()  # no reason: the browser asks for one
    reason = row(bad).get_by_role("textbox", name=f"Reason for rejecting {bad.public_id}")
    page.wait_for_timeout(500)
    assert posted == []
    assert reason.evaluate("input => input.validationMessage") != ""
    reason.fill("The face changes between shots")
    reason.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text(f"Rejected portrait {bad.public_id}.")
    expect(row(bad)).to_contain_text("The face changes between shots")
    assert posted == [f"{dev_server}/admin/assets/asset/{bad.pk}/review/"]
    shoot(page, "queue-after-review")

    row(bad).get_by_role("link", name="Portrait v1").click()
    expect(page.locator("#asset-versions")).to_contain_text("current")
    expect(page.locator("#review-decision")).to_be_visible()
    shoot(page, "asset-page-moderator")

    # Staff switch a slot back to an earlier version from its history.
    page.context.clear_cookies()
    log_in(page, dev_server, "boss", "a-long-boss-password")
    page.goto(f"{dev_server}/admin/assets/asset/")
    shoot(page, "library")
    page.goto(f"{dev_server}/admin/assets/asset/{newer.pk}/change/")
    history = page.locator("#asset-versions tbody tr")
    expect(history).to_have_count(2)
    shoot(page, "asset-page-staff")
    history.nth(1).get_by_role("button", name="Make current").click()
    expect(page.locator(".messagelist")).to_contain_text("Version 1 is now the current one")
    expect(history.nth(1)).to_contain_text("current")
    expect(history.nth(0).get_by_role("button", name="Make current")).to_be_visible()

    api = client_for(user)
    good_record, bad_record = record(api, good)["asset"], record(api, bad)["asset"]
    assert (good_record["reviewStatus"], good_record["reviewedBy"]) == ("approved", "mod")
    assert (bad_record["reviewStatus"], bad_record["reviewedBy"]) == ("rejected", "mod")
    assert bad_record["reviewReason"] == "The face changes between shots"
    assert record(api, video)["asset"]["reviewStatus"] == "pending_review"
    versions = {v["version"]: v["isCurrent"] for v in record(api, newer)["versions"]}
    assert versions == {1: True, 2: False}


def test_a_moderator_is_not_offered_regenerate_on_an_asset(client, drama, moderator, producer):
    asset = portrait(drama)
    change = f"/admin/assets/asset/{asset.pk}/change/"

    as_moderator = html(logged_in(client, moderator).get(change))
    assert "Approve" in as_moderator and "Regenerate this" not in as_moderator
    assert client.get(f"/admin/assets/asset/{asset.pk}/regenerate/").status_code == 403
    assert "Regenerate this" in html(logged_in(client, producer).get(change))
