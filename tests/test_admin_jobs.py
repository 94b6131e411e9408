"""Jobs in the admin are read-only; runs are steered only by actions that call the services
the API calls (cancel, retry), and dramas get generation's actions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from dramas.models import Drama
from generation.models import Job
from tests.test_dag import generate, small_drama

pytestmark = pytest.mark.django_db

JOBS = "/admin/generation/job/"


@pytest.fixture
def viewer(django_user_model):
    user = django_user_model.objects.create_user(
        username="watcher", password="pw-watcher-1", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_job"))
    return user


def _run(api) -> Job:
    drama = small_drama(api, episodes=1, scenes=1, characters=1)
    return Job.objects.get(public_id=generate(api, drama["id"])["id"])


def test_it_shows_a_job_without_a_way_to_change_or_delete_it(api, admin_client):
    run = _run(api)

    page = admin_client.get(f"{JOBS}{run.pk}/change/")
    refused = admin_client.post(f"{JOBS}{run.pk}/change/", {"status": "completed"})

    assert page.status_code == 200
    html = page.content.decode()
    assert run.public_id in html and 'name="_save"' not in html
    assert refused.status_code == 403
    assert admin_client.get(f"{JOBS}add/").status_code == 403
    assert admin_client.get(f"{JOBS}{run.pk}/delete/").status_code == 403
    run.refresh_from_db()
    assert run.status == Job.Status.RUNNING


def test_it_cancels_and_retries_a_run_through_the_actions(api, admin_client):
    run = _run(api)

    admin_client.post(JOBS, {"action": "cancel_runs", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert run.status == Job.Status.CANCELLED
    assert set(run.children.values_list("status", flat=True)) == {Job.Status.CANCELLED}

    admin_client.post(JOBS, {"action": "retry_runs", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert run.status == Job.Status.RUNNING
    assert Job.Status.CANCELLED not in set(run.children.values_list("status", flat=True))


def test_it_says_why_a_job_cannot_be_steered(api, admin_client):
    run = _run(api)
    node = run.children.first()

    answer = admin_client.post(
        JOBS, {"action": "retry_runs", "_selected_action": [run.pk, node.pk]}, follow=True
    )

    text = answer.content.decode()
    assert f"Skipped {run.public_id}: The run is still in progress" in text
    assert f"Skipped {node.public_id}: not a generation run (kind {node.kind})." in text


def test_a_viewer_sees_jobs_but_cannot_steer_them(api, client, viewer):
    run = _run(api)
    client.force_login(viewer)

    page = client.get(JOBS)
    client.post(JOBS, {"action": "cancel_runs", "_selected_action": [run.pk]})

    assert page.status_code == 200 and "cancel_runs" not in page.content.decode()
    run.refresh_from_db()
    assert run.status == Job.Status.RUNNING


def test_the_drama_admin_starts_a_run_an_improve_and_a_critique(api, admin_client):
    drama = small_drama(api, episodes=1, scenes=1, characters=1)
    pk = Drama.objects.get(public_id=drama["id"]).pk
    dramas = "/admin/dramas/drama/"

    admin_client.post(dramas, {"action": "critique", "_selected_action": [pk]})
    admin_client.post(
        dramas, {"action": "improve", "_selected_action": [pk], "feedback": "More tension."}
    )
    # "post": the confirmation after the plan and its cost, as the button sends it.
    confirmed = {"action": "generate", "_selected_action": [pk], "post": "yes"}
    admin_client.post(dramas, confirmed)
    again = admin_client.post(dramas, confirmed, follow=True)

    kinds = sorted(Job.objects.filter(parent=None).values_list("kind", flat=True))
    assert kinds == ["critique", "dag", "improve"]
    assert Job.objects.get(kind="improve").prompt == "More tension."
    assert "in progress" in again.content.decode()
    page = admin_client.get(f"{dramas}{pk}/change/").content.decode()
    jobs = Job.objects.filter(drama_id=pk).count()
    assert f'<a href="{JOBS}?drama__id__exact={pk}">{jobs} job(s)</a>' in page
