"""Moderation from the admin: the queue and the approve/reject actions."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, Permission

from assets.models import Asset
from assets.services import AssetContent, asset_approve, asset_store
from tests.test_assets import png

pytestmark = pytest.mark.django_db


def _stored(owner, tag: str) -> Asset:
    content = AssetContent(data=png(), content_type="image/png", ext="png",
                           media_type="image", kind="upload", tag=tag)  # fmt: skip
    return asset_store(owner=owner, project="admin-test", content=content)


@pytest.fixture
def staff_moderator(django_user_model):
    user = django_user_model.objects.create_user(
        username="staffmod", password="pw-staffmod-1", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Moderators"))
    user.user_permissions.add(Permission.objects.get(codename="change_asset"))
    return user


@pytest.fixture
def staff_only(django_user_model):
    user = django_user_model.objects.create_user(
        username="staffonly", password="pw-staffonly-1", is_staff=True
    )
    user.user_permissions.add(
        Permission.objects.get(codename="change_asset"),
        Permission.objects.get(codename="view_asset"),
    )
    return user


def test_the_queue_lists_pending_assets_first_with_previews(client, user, staff_moderator):
    pending = _stored(user, "first")
    approved = _stored(user, "second")
    asset_approve(asset=approved, reviewer=staff_moderator)
    client.force_login(staff_moderator)

    queue = client.get("/admin/assets/moderationitem/").content.decode()
    library = client.get("/admin/assets/asset/").content.decode()

    # The queue puts what waits first; the library shows the newest first.
    assert queue.index(pending.public_id) < queue.index(approved.public_id)
    assert library.index(approved.public_id) < library.index(pending.public_id)
    assert f'<img src="{pending.file.url}"' in queue
    assert f'<img src="{pending.file.url}"' in library


def test_a_moderator_approves_and_rejects_from_the_admin(client, user, staff_moderator,
                                                        media):  # fmt: skip
    one, two = _stored(user, "one"), _stored(user, "two")
    client.force_login(staff_moderator)

    client.post("/admin/assets/asset/", {"action": "approve", "_selected_action": [one.pk]})
    refused = client.post(
        "/admin/assets/asset/", {"action": "reject", "_selected_action": [two.pk], "reason": ""},
        follow=True,
    )  # fmt: skip
    client.post(
        "/admin/assets/asset/",
        {"action": "reject", "_selected_action": [two.pk], "reason": "Off model"},
    )

    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.review_status, one.reviewed_by) == ("approved", staff_moderator)
    assert "Write the reason" in refused.content.decode()
    assert (two.review_status, two.review_reason) == ("rejected", "Off model")
    sidecar = json.loads(media.read(two.file.name.replace(".png", "_metadata.json")))
    assert sidecar["reviewStatus"] == "rejected"


def test_staff_without_the_moderator_permission_get_no_review_actions(client, user,
                                                                     staff_only):  # fmt: skip
    asset = _stored(user, "x")
    client.force_login(staff_only)

    page = client.get("/admin/assets/asset/").content.decode()
    client.post("/admin/assets/asset/", {"action": "approve", "_selected_action": [asset.pk]})

    assert 'value="approve"' not in page
    asset.refresh_from_db()
    assert asset.review_status == "pending_review"


def test_the_change_page_shows_the_version_history(client, user, staff_moderator):
    asset = _stored(user, "x")
    client.force_login(staff_moderator)

    page = client.get(f"/admin/assets/asset/{asset.pk}/change/").content.decode()

    versions = page.split('id="asset-versions"', 1)[1].split("</fieldset>", 1)[0]
    assert "<strong>v1</strong>" in versions
    assert '<span class="current-badge">current</span>' in versions
