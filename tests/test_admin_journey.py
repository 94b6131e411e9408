"""The admin as a workplace, from a premise to reviewed media, in a real browser.

Staff start a drama from a premise, see the dry run's cost, generate, watch the run's progress
reach 100 % and its timeline, regenerate one scene from an edited prompt (only that scene's
nodes and its episode's cut are made again); a moderator then approves one asset and rejects
another with a reason, and the API shows both decisions. The background work is done in this
process, one job at a time, as workers would; screenshots go to test-output/admin/.
"""

from __future__ import annotations

import importlib
import time

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from assets.models import Asset
from dramas.models import DialogueLine, Drama
from generation import tasks
from generation.models import Job
from generation.services import claimable
from tests.test_admin_moderation import shoot
from tests.test_browser import log_in, page  # noqa: F401 - a fixture
from tests.test_media_access import dev_server  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREMISE = "A night-shift nurse learns her patients are dreaming the same dream."


@pytest.fixture(autouse=True)
def _outputs(settings, tmp_path):
    settings.OUTPUTS_DIR = tmp_path / "outputs"


def work(drama: Drama, *, steps: int = 1_000_000) -> int:
    """Runs up to `steps` jobs of the drama that are due, as workers would; returns how many."""
    done = 0
    while done < steps:
        due = Job.objects.filter(claimable(), drama=drama).order_by("id").first()
        if due is None:
            return done
        tasks.run_job(due.pk)
        done += 1
    return done


def progress(browser) -> float:
    return float(browser.locator("#run-progress").get_attribute("value"))


def test_staff_and_a_moderator_take_a_premise_to_reviewed_media(
    page,  # noqa: F811
    dev_server,  # noqa: F811
    django_user_model,
    client_for,
):
    producer = django_user_model.objects.create_superuser(
        username="producer", password="a-long-producer-password"
    )
    importlib.import_module("assets.migrations.0003_moderators_group").create_group(apps, None)
    moderator = django_user_model.objects.create_user(
        username="mod", password="a-long-moderator-password", is_staff=True
    )
    moderator.groups.add(Group.objects.get(name="Moderators"))
    base = dev_server

    # A premise: the script is written in the background.
    log_in(page, base)
    page.goto(f"{base}/admin/dramas/drama/from-premise/")
    page.fill("#id_premise", PREMISE)
    page.fill("#id_episode_count", "1")
    page.fill("#id_character_count", "2")
    page.fill("#id_scenes_per_episode", "2")
    shoot(page, "journey-1-premise")
    page.click("input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("is being written")
    drama = Drama.objects.get(premise=PREMISE)
    assert work(drama) == 1
    drama.refresh_from_db()
    assert drama.status == Drama.Status.READY

    # Generate all: the dry run's plan and cost first.
    page.reload()
    shoot(page, "journey-2-drama-written")
    page.get_by_role("link", name="Generate all…").click()
    expect(page.locator("#content-main")).to_contain_text("$")
    plan = page.locator(f"#plan-{drama.pk}").inner_text()
    assert "portrait" in plan.lower() and "clip" in plan.lower()
    shoot(page, "journey-3-dry-run")
    page.get_by_role("button", name="Yes, start the run").click()
    run = Job.objects.get(drama=drama, kind=Job.Kind.DAG)
    nodes = run.children.count()
    lines = DialogueLine.objects.filter(scene__drama=drama).count()
    # Portraits, auditions, storyboards, clips, a voiced line each, the music bed, the cut.
    assert lines > 0 and nodes == 2 * 2 + 2 * 2 + lines + 1 + 1

    # The run's page follows the run while it goes, without a reload.
    page.goto(f"{base}/admin/generation/job/{run.pk}/change/")
    assert progress(page) == 0
    seen = [0.0]
    while work(drama, steps=2):
        deadline = time.monotonic() + 10
        while progress(page) == seen[-1] and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        seen.append(progress(page))
        if len(seen) == 3:
            shoot(page, "journey-4-run-in-progress")
    expect(page.locator("#run-progress")).to_have_attribute("value", "100")
    assert seen == sorted(seen) and len(set(seen)) > 2, seen
    run.refresh_from_db()
    assert run.status == Job.Status.COMPLETED
    # The timeline: one bar per node, from its start to its end.
    page.reload()
    timeline = page.locator("svg").filter(has=page.locator("rect")).first
    expect(timeline).to_be_visible()
    assert timeline.locator("rect[data-node]").count() == nodes
    shoot(page, "journey-5-run-done-with-timeline")

    # Regenerate one scene's storyboard from an edited prompt.
    scene = drama.scenes.get(key="sc_01_02")
    page.goto(f"{base}/admin/dramas/scene/{scene.pk}/regenerate/")
    page.fill("#prompt-storyboard", "The same ward at dawn, every bed empty, rain on the glass")
    shoot(page, "journey-6-regenerate-scene")
    page.get_by_role("button", name="Regenerate the storyboard and what depends on it").click()
    expect(page.locator(".messagelist")).to_be_visible()
    again = Job.objects.filter(drama=drama, kind=Job.Kind.DAG).exclude(pk=run.pk).get()
    work(drama)
    again.refresh_from_db()
    assert again.status == Job.Status.COMPLETED
    made = {(n.node, n.target_key) for n in again.children.all()
            if not n.metadata.get("satisfied")}  # fmt: skip
    assert made == {("storyboard", "sc_01_02"), ("clip", "sc_01_02"), ("episode_cut", "ep_01")}
    board = Asset.objects.get(scene=scene, kind="storyboard", is_current=True)
    assert board.version == 2 and board.prompt.startswith("The same ward at dawn")

    # A moderator approves one portrait and rejects the other, with a reason, from the queue.
    page.context.clear_cookies()
    log_in(page, base, "mod", "a-long-moderator-password")
    page.goto(f"{base}/admin/assets/moderationitem/?kind__exact=portrait")
    shoot(page, "journey-7-moderation-queue")
    first, second = Asset.objects.filter(drama=drama, kind="portrait").order_by("character__key")

    def row(asset: Asset):
        return page.locator("#result_list tbody tr",
                            has=page.locator(f"[data-asset='{asset.public_id}']"))  # fmt: skip

    row(first).get_by_role("button", name="Approve").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Approved portrait {first.public_id}.")
    reason = row(second).get_by_role("textbox", name=f"Reason for rejecting {second.public_id}")
    reason.fill("Her uniform changes colour between shots")
    reason.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text(f"Rejected portrait {second.public_id}.")
    shoot(page, "journey-8-after-review")

    # The API shows both decisions.
    api = client_for(producer)
    approved = api.get(f"/asset-library/{first.public_id}/metadata").json()["asset"]
    rejected = api.get(f"/asset-library/{second.public_id}/metadata").json()["asset"]
    assert approved["reviewStatus"] == "approved" and approved["reviewedBy"]
    assert rejected["reviewStatus"] == "rejected"
    assert rejected["reviewReason"] == "Her uniform changes colour between shots"
