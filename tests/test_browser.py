"""The pages people use, in a real browser: the admin and the API docs."""

from __future__ import annotations

import re

import pytest
from django.db import connections
from playwright.sync_api import Page, expect, sync_playwright

from dramas.serializers import DramaCreateInput
from dramas.services import drama_create
from generation.models import Job
from tests.conftest import drama_body

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture
def page(tmp_path, monkeypatch):
    # Playwright's sync API keeps an event loop on this thread; the test's own ORM calls are
    # still plain synchronous code, which Django would otherwise refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        page.screenshot(path=str(tmp_path / "last.png"), full_page=True)
        browser.close()
        # The ORM calls made while Playwright's loop ran used a connection of that context:
        # close it here, or it outlives the test database.
        connections.close_all()


@pytest.fixture
def producer(django_user_model):
    return django_user_model.objects.create_superuser(
        username="producer", password="a-long-producer-password"
    )


def log_in(page: Page, base: str, username: str = "producer",
           password: str = "a-long-producer-password") -> None:  # fmt: skip
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


def test_staff_see_a_drama_with_its_script_inline_and_queue_a_critique(page, live_server, producer):
    serializer = DramaCreateInput(data=drama_body(title="The Kitchen War"))
    serializer.is_valid(raise_exception=True)
    drama = drama_create(owner=producer, data=serializer.validated_data)
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/dramas/drama/{drama.pk}/change/")
    expect(page.locator("#id_title")).to_have_value("The Kitchen War")
    expect(page.locator("#characters-group")).to_contain_text("char_003")
    expect(page.locator("#scenes-group")).to_contain_text("sc_02_02")

    page.goto(f"{live_server.url}/admin/dramas/drama/")
    page.check(f"input[name=_selected_action][value='{drama.pk}']")
    page.select_option("select[name=action]", "critique")
    page.click("button[name=index]")

    expect(page.locator(".messagelist")).to_contain_text(re.compile(r"queued job_[0-9a-f]+"))
    job = Job.objects.get(drama=drama)
    assert (job.kind, job.status) == ("critique", "queued")


def test_an_admin_edit_moves_the_version_an_api_client_holds(page, live_server, producer):
    serializer = DramaCreateInput(data=drama_body())
    serializer.is_valid(raise_exception=True)
    drama = drama_create(owner=producer, data=serializer.validated_data)
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/dramas/drama/{drama.pk}/change/")
    page.fill("#id_title", "Edited in the admin")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    drama.refresh_from_db()
    assert (drama.title, drama.version) == ("Edited in the admin", 2)


def test_the_swagger_ui_renders_the_api_from_its_own_assets(page, live_server):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{live_server.url}/docs")

    expect(page.locator(".opblock-summary-path", has_text="/dramas").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/asset-library/upload")).to_be_visible()
    assert requested and all(url.startswith(live_server.url) for url in requested)


def test_a_moderator_works_the_review_queue_in_the_admin(page, live_server, producer,
                                                        django_user_model):  # fmt: skip
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    from assets.models import Asset
    from tests.test_assets_admin import _stored

    # Transactional tests run on flushed tables: make the group as its migration does.
    importlib.import_module("assets.migrations.0003_moderators_group").create_group(apps, None)

    moderator = django_user_model.objects.create_user(
        username="mod", password="a-long-moderator-password", is_staff=True
    )
    moderator.groups.add(Group.objects.get(name="Moderators"))
    moderator.user_permissions.add(Permission.objects.get(codename="change_asset"))
    approved = _stored(producer, "earlier")
    approved.review_status = Asset.Review.APPROVED
    approved.save(update_fields=["review_status"])
    waiting = _stored(producer, "waiting")
    log_in(page, live_server.url, "mod", "a-long-moderator-password")

    page.goto(f"{live_server.url}/admin/assets/asset/")
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_contain_text(waiting.public_id)  # what waits comes first
    expect(rows.first.locator(f"img[src*='{waiting.public_id}']")).to_have_count(1)
    page.check(f"input[name=_selected_action][value='{waiting.pk}']")
    page.select_option("select[name=action]", "reject")
    page.fill("input[name=reason]", "Wrong face")
    page.click("button[name=index]")

    expect(page.locator(".messagelist")).to_contain_text("Rejected 1 asset(s).")
    waiting.refresh_from_db()
    assert (waiting.review_status, waiting.review_reason) == ("rejected", "Wrong face")
    assert waiting.reviewed_by == moderator
