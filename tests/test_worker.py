"""Script jobs run by a real django-q2 cluster in another process."""

from __future__ import annotations

import time

import pytest

from dramas.models import Drama, Scene
from generation.models import Job
from tests.workers import running_cluster, wait_for_job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_it_writes_the_script_of_a_premise_in_the_background(api, tmp_path):
    with running_cluster(tmp_path):
        accepted = api.post(
            "/dramas",
            {
                "premise": "A chef discovers her rival is her long-lost sister",
                "genre": "family",
                "episodeCount": 2,
                "characterCount": 5,
                "scenesPerEpisode": 3,
            },
            format="json",
        )
        assert accepted.status_code == 202
        body = accepted.json()
        assert body["status"] == "queued"
        job = wait_for_job(body["jobId"])

    assert job.status == Job.Status.COMPLETED, job.error
    assert job.attempts == 1
    drama = api.get(f"/dramas/{body['dramaId']}").json()
    assert drama["status"] == "ready"
    assert len(drama["characters"]) == 5
    assert [len(e["scenes"]) for e in drama["episodes"]] == [3, 3]
    assert job.result == {"dramaId": body["dramaId"], "version": drama["version"]}
    seen = api.get(f"/dramas/{body['dramaId']}/jobs/{body['jobId']}").json()
    assert seen["status"] == "completed"
    assert seen["counts"]["total"] == 0


def test_it_critiques_and_improves_a_drama_through_the_worker(api, make_drama, tmp_path):
    body = make_drama(episodes=2, scenes=2, characters=5)
    drama_id = body["id"]
    # char_005 never appears in drama_body's 2x2 scenes: a real problem for critique to find.
    with running_cluster(tmp_path):
        critique_job = api.post(f"/dramas/{drama_id}/critique").json()["jobId"]
        critique = wait_for_job(critique_job)
        improve_job = api.post(
            f"/dramas/{drama_id}/improve", {"feedback": "More tension"}, format="json"
        ).json()["jobId"]
        improve = wait_for_job(improve_job)

    assert critique.status == Job.Status.COMPLETED, critique.error
    codes = {issue["code"] for issue in critique.result["issues"]}
    assert "character_never_appears" in codes
    assert improve.status == Job.Status.COMPLETED, improve.error
    after = api.get(f"/dramas/{drama_id}").json()
    assert after["critique"]["score"] == critique.result["score"]
    assert after["version"] == 2  # the critique is not an edit; the improve is
    assert "Direction: More tension." in after["logline"]
    assert Scene.objects.filter(drama__public_id=drama_id, characters__key="char_005").exists()


def test_an_improve_job_does_not_save_over_an_edit_made_while_it_ran(api, make_drama, tmp_path):
    drama_id = make_drama()["id"]
    with running_cluster(tmp_path, LOCAL_PROVIDER_LATENCY_MS="3000"):
        job_id = api.post(
            f"/dramas/{drama_id}/improve", {"feedback": "Sharper jokes"}, format="json"
        ).json()["jobId"]
        wait_for_job(job_id, statuses=(Job.Status.RUNNING,))
        time.sleep(0.3)  # the job has read the drama and is waiting on the provider
        edit = api.patch(f"/dramas/{drama_id}", {"logline": "Edited by hand."}, format="json")
        job = wait_for_job(job_id)

    assert edit.status_code == 200
    assert job.status == Job.Status.FAILED
    assert job.error.startswith("conflict:")
    drama = Drama.objects.get(public_id=drama_id)
    assert drama.logline == "Edited by hand."
    assert drama.version == 2
    assert not drama.episodes.filter(synopsis__contains="Direction:").exists()


def test_the_worker_writes_a_script_through_openai_when_it_is_configured(api, tmp_path):
    from tests.fakes.openai_server import FakeOpenAI
    from tests.test_provider_openai import a_script, script_answer

    fake = FakeOpenAI().start()
    fake.reply("POST", "/v1/responses", script_answer("responses", a_script(episodes=2)))
    env = {"SCRIPT_PROVIDER": "openai", "OPENAI_API_KEY": "sk-worker",
           "OPENAI_BASE_URL": fake.base_url}  # fmt: skip
    try:
        with running_cluster(tmp_path, **env):
            body = api.post(
                "/dramas",
                {"premise": "Rival chefs share a kitchen", "episodeCount": 2,
                 "characterCount": 3, "scenesPerEpisode": 2},
                format="json",
            ).json()  # fmt: skip
            job = wait_for_job(body["jobId"])
    finally:
        fake.stop()

    assert job.status == Job.Status.COMPLETED, job.error
    [request] = fake.requests_to("POST", "/v1/responses")
    assert request.headers["authorization"] == "Bearer sk-worker"
    drama = api.get(f"/dramas/{body['dramaId']}").json()
    assert [e["title"] for e in drama["episodes"]] == ["Episode 1", "Episode 2"]
    assert drama["premise"] == "Rival chefs share a kitchen"
    [call] = job.metadata["calls"]
    assert (call["provider"], call["model"], call["attempts"]) == ("openai", "gpt-6.1-sol", 1)
    assert call["cost_usd"] > 0
