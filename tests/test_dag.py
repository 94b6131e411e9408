"""The generation DAG through the API, its nodes run in this process one delivery at a time:
plans, scopes, fingerprints, failures, cancel and retry, dry runs, approval gates.

The same DAG under real worker processes is tested in test_dag_workers.py.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.models import Asset
from dramas.models import DialogueLine, Drama
from generation import dag, runs, slots, tasks
from generation.assembly import probe_duration
from generation.models import Job
from generation.providers.base import ProviderError
from generation.providers.local.image import LocalImageProvider
from generation.providers.local.music import LocalMusicProvider
from generation.providers.local.speech import LocalSpeechProvider
from generation.providers.local.video import LocalVideoProvider
from generation.services import claimable
from tests.conftest import assert_error, drama_body

pytestmark = pytest.mark.django_db


def small_drama(api, *, episodes=1, scenes=2, characters=2, seconds=2) -> dict:
    body = drama_body(episodes=episodes, scenes=scenes, characters=characters)
    for e in body["episodes"]:
        for n, s in enumerate(e["scenes"]):
            s["targetDuration"] = seconds
            s["visualPrompt"] = f"{s['visualPrompt']} in {e['title']}, shot {n + 1}"
    response = api.post("/dramas", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def drain(run_id: str, *, timeout: float = 120) -> Job:
    """Delivers every due node of the run, as workers would, until the run ends."""
    deadline = time.monotonic() + timeout
    run = Job.objects.get(public_id=run_id)
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status not in Job.ACTIVE:
            return run
        due = list(Job.objects.filter(claimable(), parent=run).values_list("pk", flat=True))
        if not due:
            if not Job.objects.filter(
                parent=run, status__in=(Job.Status.QUEUED, Job.Status.RUNNING)
            ).exists():
                return run  # waiting on something outside (an approval)
            time.sleep(0.02)
        for pk in due:
            tasks.run_job(pk)
    raise AssertionError(f"run {run_id} is still {run.status}")


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """Provider calls made, by node kind."""
    counted: Counter = Counter()
    generate, submit = LocalImageProvider.generate, LocalVideoProvider.submit
    synthesize, compose = LocalSpeechProvider.synthesize, LocalMusicProvider.compose

    def count_image(self, request):
        counted[request.kind] += 1
        return generate(self, request)

    def count_video(self, request):
        counted["video"] += 1
        return submit(self, request)

    def count_speech(self, request):
        counted["speech"] += 1
        return synthesize(self, request)

    def count_music(self, *args, **kwargs):
        counted["music"] += 1
        return compose(self, *args, **kwargs)

    monkeypatch.setattr(LocalImageProvider, "generate", count_image)
    monkeypatch.setattr(LocalVideoProvider, "submit", count_video)
    monkeypatch.setattr(LocalSpeechProvider, "synthesize", count_speech)
    monkeypatch.setattr(LocalMusicProvider, "compose", count_music)
    return counted


@pytest.fixture(autouse=True)
def _outputs(settings, tmp_path):
    settings.OUTPUTS_DIR = tmp_path / "outputs"


def generate(api, drama_id: str, path: str = "", **body) -> dict:
    response = api.post(f"/dramas/{drama_id}{path}/generate", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()


def nodes_of(run_id: str) -> list[Job]:
    return list(Job.objects.filter(parent__public_id=run_id).prefetch_related("depends_on"))


# ---------------------------------------------------------------- a whole run
def test_a_run_makes_every_node_and_each_starts_only_after_its_own_inputs(api, calls):
    drama = small_drama(api, episodes=2, scenes=2, characters=3)
    run = generate(api, drama["id"])
    assert run["kind"] == "dag" and run["status"] == "running"

    ended = drain(run["id"])

    assert ended.status == Job.Status.COMPLETED
    nodes = nodes_of(run["id"])
    kinds = Counter(n.node for n in nodes)
    assert kinds == {"portrait": 3, "audition": 3, "storyboard": 4, "dialogue_audio": 8,
                     "clip": 4, "music": 2, "episode_cut": 2}  # fmt: skip
    for n in nodes:
        assert n.status == Job.Status.COMPLETED and n.asset_id
        for dep in n.depends_on.all():
            assert dep.completed_at <= n.started_at, f"{n.node} {n.target_key} began early"
    assert calls == {"portrait": 3, "storyboard": 4, "video": 7, "speech": 8, "music": 2}
    seen = api.get(f"/dramas/{drama['id']}/jobs/{run['id']}").json()
    assert seen["counts"]["total"] == 26 and seen["counts"]["completed"] == 26
    assert seen["progress"]["percent"] == 100.0 and seen["progress"]["inFlight"] == []
    assert api.get(f"/dramas/{drama['id']}").json()["status"] == "produced"


def test_a_node_is_released_only_when_every_one_of_its_inputs_is_done(api):
    drama = small_drama(api, episodes=1, scenes=1, characters=2)
    run = generate(api, drama["id"])
    board = Job.objects.get(parent__public_id=run["id"], node="storyboard")
    first, second = Job.objects.filter(parent__public_id=run["id"], node="portrait")

    tasks.run_job(first.pk)
    board.refresh_from_db()
    assert board.status == Job.Status.PENDING

    tasks.run_job(second.pk)
    board.refresh_from_db()
    assert board.status == Job.Status.QUEUED


def test_the_episode_cut_is_as_long_as_its_clips_with_every_line_as_a_subtitle(api):
    drama = small_drama(api, episodes=1, scenes=3, characters=2, seconds=2)
    drain(generate(api, drama["id"])["id"])

    cut = Asset.objects.get(kind=Asset.Kind.EPISODE_CUT, is_current=True)
    clips = Asset.objects.filter(kind=Asset.Kind.CLIP, is_current=True)
    assert cut.content_type == "video/mp4"
    assert cut.metadata["subtitles"] == 6  # two lines in each of three scenes
    total = sum(c.metadata["durationSeconds"] for c in clips)
    assert abs(probe_duration(Path(cut.file.path)) - total) < 0.15


def test_a_rerun_of_a_finished_drama_makes_no_provider_calls(api, calls):
    drama = small_drama(api)
    drain(generate(api, drama["id"])["id"])
    calls.clear()

    again = drain(generate(api, drama["id"])["id"])

    assert again.status == Job.Status.COMPLETED
    assert sum(calls.values()) == 0
    assert all(n.metadata.get("satisfied") for n in nodes_of(again.public_id))


def test_a_second_generate_while_a_run_is_going_answers_409_with_that_run(api):
    drama = small_drama(api)
    run = generate(api, drama["id"])

    error = assert_error(api.post(f"/dramas/{drama['id']}/generate", {}, format="json"), 409)

    assert error["details"]["jobId"] == run["id"]
    assert error["code"] == "run_in_progress"


# ---------------------------------------------------------------- dry run and cost
def test_the_dry_run_plans_without_running_and_its_estimate_matches_the_cost(api, settings, calls):
    settings.PRICES_JSON = (
        '{"offline-image-1": {"per_image": 0.067}, "offline-video-1": {"per_video_second": 0.1}}'
    )
    drama = small_drama(api, episodes=1, scenes=2, characters=2, seconds=3)

    dry = api.post(f"/dramas/{drama['id']}/generate", {"dryRun": True}, format="json")

    assert dry.status_code == 200
    plan = dry.json()
    assert Job.objects.filter(kind=Job.Kind.DAG).count() == 0 and sum(calls.values()) == 0
    assert Counter(n["node"] for n in plan["toMake"]) == {
        "portrait": 2, "audition": 2, "storyboard": 2, "dialogue_audio": 4, "clip": 2,
        "music": 1, "episode_cut": 1}  # fmt: skip
    estimate = plan["estimatedCostUsd"]
    # 4 images, 2 auditions of 5 s and 2 clips of 3 s (two short lines, with their pauses).
    assert estimate["byProvider"] == {"image:local": 0.268, "video:local": 1.6,
                                      "speech:local": 0.0, "music:local": 0.0,
                                      "assembly:ffmpeg": 0.0}  # fmt: skip
    assert estimate["total"] == pytest.approx(1.868)

    run = drain(generate(api, drama["id"])["id"])
    spent = api.get(f"/dramas/{drama['id']}/jobs/{run.public_id}").json()["progress"]
    assert spent["costUsd"] == pytest.approx(estimate["total"], rel=0.05)
    assert spent["estimatedCostUsd"] == pytest.approx(estimate["total"])


def test_a_dry_run_of_a_made_drama_lists_every_node_as_satisfied(api):
    drama = small_drama(api)
    drain(generate(api, drama["id"])["id"])

    plan = api.post(f"/dramas/{drama['id']}/generate", {"dryRun": True}, format="json").json()

    assert plan["toMake"] == []
    assert len(plan["satisfied"]) == 14
    assert plan["estimatedCostUsd"]["total"] == 0


# ---------------------------------------------------------------- fingerprints and scopes
def test_editing_one_characters_appearance_makes_exactly_its_nodes_stale(api, calls):
    drama = small_drama(api, episodes=2, scenes=2, characters=3)
    drain(generate(api, drama["id"])["id"])
    calls.clear()
    changed = "char_002"
    api.patch(f"/dramas/{drama['id']}/characters/{changed}", {"appearance": "silver hair"},
              format="json")  # fmt: skip
    full = Drama.objects.get(public_id=drama["id"])
    scenes = {s.key for s in full.scenes.filter(characters__key=changed)}
    episodes = {s.episode.key for s in full.scenes.filter(characters__key=changed)}

    plan = api.post(f"/dramas/{drama['id']}/generate", {"dryRun": True}, format="json").json()
    stale = {(n["node"], n["targetKey"]) for n in plan["toMake"]}

    assert stale == (
        {("portrait", changed), ("audition", changed)}
        | {("storyboard", s) for s in scenes}
        | {("clip", s) for s in scenes}
        | {("episode_cut", e) for e in episodes}
    )
    drain(generate(api, drama["id"])["id"])
    assert calls == {"portrait": 1, "storyboard": len(scenes), "video": 1 + len(scenes)}


def test_a_scene_scope_with_force_remakes_only_that_scenes_nodes(api, calls):
    drama = small_drama(api)
    drain(generate(api, drama["id"])["id"])
    calls.clear()
    episode = api.get(f"/dramas/{drama['id']}").json()["episodes"][0]
    scene = episode["scenes"][0]["id"]

    run = generate(api, drama["id"], f"/episodes/{episode['id']}/scenes/{scene}", force=True)
    drain(run["id"])

    assert {(n.node, n.target_key) for n in nodes_of(run["id"])} == {
        ("storyboard", scene), ("clip", scene), ("dialogue_audio", f"{scene}#0"),
        ("dialogue_audio", f"{scene}#1")}  # fmt: skip
    assert calls == {"storyboard": 1, "video": 1, "speech": 2}
    versions = Asset.objects.filter(scene__key=scene, kind="storyboard").count()
    assert versions == 2


def test_a_scope_pulls_in_what_it_waits_for_that_is_not_made(api, calls):
    drama = small_drama(api)
    episode = api.get(f"/dramas/{drama['id']}").json()["episodes"][0]
    scene = episode["scenes"][0]

    run = generate(api, drama["id"], f"/episodes/{episode['id']}/scenes/{scene['id']}")
    drain(run["id"])

    made = {(n.node, n.target_key) for n in nodes_of(run["id"])}
    cast = set(scene["characters"])
    lines = {("dialogue_audio", f"{scene['id']}#{n}") for n in range(len(scene["dialogue"]))}
    assert made == {("storyboard", scene["id"]), ("clip", scene["id"])} | lines | {
        ("portrait", c) for c in cast}  # fmt: skip


def test_kinds_choose_what_a_run_makes(api, calls):
    drama = small_drama(api)

    run = drain(generate(api, drama["id"], kinds=["image"])["id"])

    assert run.status == Job.Status.COMPLETED
    assert {n.node for n in nodes_of(run.public_id)} == {"portrait", "storyboard"}
    assert "video" not in calls


def test_editing_an_assets_prompt_makes_its_node_and_dependants_stale(api, calls):
    drama = small_drama(api)
    drain(generate(api, drama["id"])["id"])
    calls.clear()
    episode = api.get(f"/dramas/{drama['id']}").json()["episodes"][0]
    scene = episode["scenes"][0]
    path = f"/dramas/{drama['id']}/episodes/{episode['id']}/scenes/{scene['id']}/assets"
    storyboard = next(a for a in api.get(path).json() if a["kind"] == "storyboard")

    edit = {"prompt": "a rainy rooftop at dawn", "tag": "hero"}
    edited = api.patch(f"{path}/{storyboard['id']}", edit, format="json")

    assert edited.status_code == 200, edited.content
    assert (edited.json()["prompt"], edited.json()["tag"]) == ("a rainy rooftop at dawn", "hero")
    plan = api.post(f"/dramas/{drama['id']}/generate", {"dryRun": True}, format="json").json()
    stale = {(n["node"], n["targetKey"]) for n in plan["toMake"]}
    assert stale == {("storyboard", scene["id"]), ("clip", scene["id"]),
                     ("episode_cut", episode["id"])}  # fmt: skip
    drain(generate(api, drama["id"])["id"])
    remade = Asset.objects.get(scene__key=scene["id"], kind="storyboard", is_current=True)
    assert remade.prompt == "a rainy rooftop at dawn" and remade.version == 2
    assert calls == {"storyboard": 1, "video": 1}


def test_an_asset_edit_is_refused_with_a_reason_for_bad_input(api):
    drama = small_drama(api)
    drain(generate(api, drama["id"], kinds=["storyboard"])["id"])
    episode = api.get(f"/dramas/{drama['id']}").json()["episodes"][0]
    scene = episode["scenes"][0]
    path = f"/dramas/{drama['id']}/episodes/{episode['id']}/scenes/{scene['id']}/assets"
    asset = api.get(path).json()[0]

    assert_error(api.patch(f"{path}/{asset['id']}", {}, format="json"), 400)
    assert_error(api.patch(f"{path}/{asset['id']}", {"metadata": {"source": "x"}},
                           format="json"), 400, "metadata")  # fmt: skip
    assert_error(api.patch(f"{path}/{asset['id']}", {"prompt": 5}, format="json"), 400, "prompt")
    assert_error(api.patch(f"{path}/asset_nope", {"tag": "x"}, format="json"), 404)


# ---------------------------------------------------------------- failure, cancel, retry
def test_a_failed_node_skips_what_waits_on_it_and_the_run_ends_partial(api, monkeypatch):
    drama = small_drama(api, episodes=2, scenes=2, characters=3)
    generate_image = LocalImageProvider.generate

    def refuse_one(self, request):
        if request.kind == "portrait" and "Person 1" in request.prompt:
            raise ProviderError("blocked by the safety filter", retryable=False, reason="safety")
        return generate_image(self, request)

    monkeypatch.setattr(LocalImageProvider, "generate", refuse_one)

    run = drain(generate(api, drama["id"])["id"])

    nodes = {(n.node, n.target_key): n for n in nodes_of(run.public_id)}
    assert run.status == Job.Status.PARTIAL
    assert nodes[("portrait", "char_001")].status == Job.Status.FAILED
    assert nodes[("audition", "char_001")].status == Job.Status.SKIPPED
    assert nodes[("audition", "char_002")].status == Job.Status.COMPLETED
    counts = api.get(f"/dramas/{drama['id']}/jobs/{run.public_id}").json()["counts"]
    assert counts["failed"] == 1 and counts["skipped"] > 1 and counts["completed"] > 1
    assert counts["completed"] + counts["failed"] + counts["skipped"] == counts["total"]
    assert api.get(f"/dramas/{drama['id']}").json()["status"] == "ready"

    # Retry runs the failed and skipped nodes only, once the cause is gone.
    monkeypatch.setattr(LocalImageProvider, "generate", generate_image)
    made_before = {k: n.asset_id for k, n in nodes.items() if n.status == "completed"}
    retried = api.post(f"/dramas/{drama['id']}/jobs/{run.public_id}/retry")
    assert retried.status_code == 202, retried.content
    done = drain(run.public_id)
    assert done.status == Job.Status.COMPLETED
    after = {(n.node, n.target_key): n for n in nodes_of(run.public_id)}
    assert {k: after[k].asset_id for k in made_before} == made_before


def test_cancel_stops_the_run_and_retry_finishes_it_without_remaking_what_was_made(api, calls):
    drama = small_drama(api)
    run = generate(api, drama["id"])
    # Portraits only, then stop.
    for job in Job.objects.filter(parent__public_id=run["id"], node="portrait"):
        tasks.run_job(job.pk)

    cancelled = api.post(f"/dramas/{drama['id']}/jobs/{run['id']}/cancel")

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    statuses = Counter(n.status for n in nodes_of(run["id"]))
    assert statuses == {"completed": 2, "cancelled": 12}
    assert_error(api.post(f"/dramas/{drama['id']}/jobs/{run['id']}/cancel"), 409)
    # The next run resumes: it pays only for what is missing.
    calls.clear()
    resumed = drain(generate(api, drama["id"])["id"])
    assert resumed.status == Job.Status.COMPLETED
    assert calls == {"storyboard": 2, "video": 4, "speech": 4, "music": 1}


def test_a_submit_with_an_unknown_outcome_is_never_sent_twice(api, monkeypatch):
    drama = small_drama(api, scenes=1, characters=1)
    submits = []

    def lost_answer(self, request):
        submits.append(request.prompt)
        error = ProviderError("no answer", retryable=True, reason="submit_unknown")
        error.outcome_unknown = True
        raise error

    monkeypatch.setattr(LocalVideoProvider, "submit", lost_answer)
    monkeypatch.setattr(LocalVideoProvider, "find", lambda self, request, since: None)

    run = drain(generate(api, drama["id"])["id"])

    video = [n for n in nodes_of(run.public_id) if n.kind == Job.Kind.VIDEO]
    assert len(submits) == len(video) == 2
    assert all("submit outcome unknown — retrying may bill again" in n.error for n in video)
    assert all(n.status == Job.Status.FAILED for n in video)
    # Only the operator's retry submits again.
    api.post(f"/dramas/{drama['id']}/jobs/{run.public_id}/retry")
    drain(run.public_id)
    assert len(submits) == 4


def test_generate_refuses_bad_options_and_dramas_without_a_script(api, user):
    drama = small_drama(api)
    url = f"/dramas/{drama['id']}/generate"

    assert_error(api.post(url, {"kinds": ["sound"]}, format="json"), 400, "kinds")
    assert_error(api.post(url, {"kinds": []}, format="json"), 400, "kinds")
    assert_error(api.post(url, {"force": "maybe"}, format="json"), 400, "force")
    assert_error(api.post(url, [1], format="json"), 400)
    assert_error(api.post(f"/dramas/{drama['id']}/characters/char_999/generate"), 404)
    assert_error(api.post(f"/dramas/{drama['id']}/episodes/ep_99/generate"), 404)
    writing = Drama.objects.create(owner=user, title="x", status=Drama.Status.WRITING)
    assert_error(api.post(f"/dramas/{writing.public_id}/generate"), 409)
    assert Job.objects.filter(kind=Job.Kind.DAG).count() == 0


def test_level_mode_waits_for_a_whole_level_before_the_next(api, settings):
    settings.DAG_SCHEDULING = "level"
    drama = small_drama(api, episodes=1, scenes=2, characters=3)

    run = drain(generate(api, drama["id"])["id"])

    assert run.status == Job.Status.COMPLETED
    nodes = nodes_of(run.public_id)
    for n in nodes:
        earlier = [m for m in nodes if m.level < n.level]
        assert all(m.completed_at <= n.started_at for m in earlier), n.node


# ---------------------------------------------------------------- approval gates
def test_with_approval_required_a_clip_waits_for_its_storyboard(api, settings, client_for,
                                                                 django_user_model):  # fmt: skip
    from django.contrib.auth.models import Group

    settings.REQUIRE_STORYBOARD_APPROVAL = True
    moderator = django_user_model.objects.create_user(username="mod", password="pw-mod-12")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    mod = client_for(moderator)
    drama = small_drama(api, scenes=2)
    run = drain(generate(api, drama["id"])["id"])
    assert run.status == Job.Status.RUNNING
    clips = [n for n in nodes_of(run.public_id) if n.node == "clip"]
    assert {c.status for c in clips} == {Job.Status.AWAITING_APPROVAL}
    boards = {a.scene.key: a for a in Asset.objects.filter(kind="storyboard").select_related(
        "scene")}  # fmt: skip
    first, second = sorted(boards)

    assert mod.post(f"/asset-library/{boards[first].public_id}/approve").status_code == 200
    rejected = mod.post(f"/asset-library/{boards[second].public_id}/reject",
                        {"reason": "wrong faces"}, format="json")  # fmt: skip
    assert rejected.status_code == 200
    drain(run.public_id)

    remade = Asset.objects.get(scene__key=second, kind="storyboard", is_current=True)
    assert remade.version == 2 and remade.review_status == "pending_review"
    clip_of = {c.target_key: c for c in nodes_of(run.public_id) if c.node == "clip"}
    assert clip_of[first].status == Job.Status.COMPLETED
    assert clip_of[second].status == Job.Status.AWAITING_APPROVAL
    assert mod.post(f"/asset-library/{remade.public_id}/approve").status_code == 200
    assert drain(run.public_id).status == Job.Status.COMPLETED


def test_cancel_cancels_renders_in_flight_at_the_service(
    api, settings, django_capture_on_commit_callbacks
):
    settings.LOCAL_VIDEO_LATENCY_MS = 600_000  # renders that would take ten minutes
    drama = small_drama(api, scenes=1, characters=1)
    run = generate(api, drama["id"])
    for node in ("portrait", "audition"):
        tasks.run_job(Job.objects.get(parent__public_id=run["id"], node=node).pk)
    audition = Job.objects.get(parent__public_id=run["id"], node="audition")
    assert audition.status == Job.Status.RUNNING and audition.provider_job_id
    render = LocalVideoProvider()._path(audition.render)
    assert render.exists()

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = api.post(f"/dramas/{drama['id']}/jobs/{run['id']}/cancel")

    assert cancelled.status_code == 200
    audition.refresh_from_db()
    assert audition.status == Job.Status.CANCELLED
    assert "cancelled at the service" in audition.error
    assert not render.exists()
    # A poll that was already on its way does nothing to a cancelled node.
    assert tasks.run_job(audition.pk) == "not claimed"


# ---------------------------------------------------------------- the order nodes take slots
def silent(drama: dict) -> Drama:
    """The drama with its dialogue taken out: its clips last their scenes' target lengths."""
    row = Drama.objects.get(public_id=drama["id"])
    DialogueLine.objects.filter(scene__drama=row).delete()
    return row


def test_a_node_with_more_work_behind_it_goes_first(api):
    short = silent(small_drama(api, seconds=1))
    plan = dag.plan(short)
    rank = {n.key: plan.priority[n.key] for n in plan.to_make}
    portrait = rank[("portrait", "char_001")]
    audition = rank[("audition", "char_001")]
    board = rank[("storyboard", "sc_01_01")]
    clip = rank[("clip", "sc_01_01")]
    cut = rank[("episode_cut", "ep_01")]
    # A one-second clip and its cut are less work than a five-second audition.
    assert portrait > audition > board > clip > cut > 0

    long = silent(small_drama(api, seconds=10))
    plan = dag.plan(long)
    rank = {n.key: plan.priority[n.key] for n in plan.to_make}
    assert rank[("clip", "sc_01_01")] > rank[("audition", "char_001")]


def test_a_freed_slot_goes_to_the_waiting_node_with_the_most_work_behind_it(api, settings):
    settings.PROVIDER_CONCURRENCY = {"image": 4, "video": 1, "assembly": 2}
    drama = small_drama(api, seconds=1)
    run = generate(api, drama["id"])
    nodes = {(n.node, n.target_key): n for n in nodes_of(run["id"])}
    clip, audition = nodes[("clip", "sc_01_01")], nodes[("audition", "char_001")]
    Job.objects.filter(pk__in=[clip.pk, audition.pk]).update(status=Job.Status.QUEUED)

    assert slots.next_waiting(provider=clip.provider) == audition.pk


# ---------------------------------------------------------------- the machinery's cost
# Queries of one node's task in the test's transaction, from the claim to the release of what
# waits on it, once its provider's slot rows exist. A portrait: the claim 2, the node's rows 2,
# its slot 3 (the free ones, taking one, its start), finishing 4 (a savepoint, the conditional
# UPDATE, the result, the release), the asset 5 (a savepoint, the slot's current and top
# version, the row, the release), its effects 6 or 7 (the run, the slot, the dependants, each
# released provider's free slots, releasing them, waking a waiting node). A clip or an audition
# also writes its render's handle twice (the mark before the submit, the handle after); the
# node that releases nothing ends the run or checks whether it has ended.
# A line reads its scene's rows as a storyboard does, and the last of a scene's lines releases
# its clip; the music reads the library; the cut stores its subtitles and its timeline beside
# it (a savepoint, the slot's current and top version, the row, the release: 5 each).
NODE_TASK_QUERIES = {"portrait": {22, 23}, "audition": {23}, "storyboard": {26},
                     "dialogue_audio": {25, 28}, "clip": {27, 28}, "music": {23},
                     "episode_cut": {39}}  # fmt: skip


def test_a_nodes_task_costs_a_fixed_number_of_queries(api, settings):
    drama = small_drama(api, episodes=1, scenes=2, characters=2, seconds=1)
    for provider, limit in (("image:local", 4), ("video:local", 8), ("assembly:ffmpeg", 2)):
        slots._ensure_rows(provider, limit)
    run = Job.objects.get(public_id=generate(api, drama["id"])["id"])
    counted: dict[str, set[int]] = {}
    deadline = time.monotonic() + 120
    while run.status in Job.ACTIVE and time.monotonic() < deadline:
        for job in Job.objects.filter(claimable(), parent=run):
            with CaptureQueriesContext(connection) as queries:
                tasks.run_job(job.pk)
            counted.setdefault(job.node, set()).add(len(queries))
        run.refresh_from_db()
    assert run.status == Job.Status.COMPLETED
    assert counted == NODE_TASK_QUERIES


# ---------------------------------------------------------------- regenerate where you look
def test_regenerating_a_scene_remakes_its_nodes_and_its_cut_only(api, calls):
    drama = small_drama(api, episodes=2, scenes=2, characters=2)
    drain(generate(api, drama["id"])["id"])
    calls.clear()
    row = Drama.objects.get(public_id=drama["id"])

    run = runs.run_regenerate(drama=row, target_type="scene", key="sc_01_02")
    drain(run.public_id)

    made = {
        (n.node, n.target_key) for n in nodes_of(run.public_id) if not n.metadata.get("satisfied")
    }
    assert made == {("storyboard", "sc_01_02"), ("clip", "sc_01_02"), ("episode_cut", "ep_01")}
    assert calls == {"storyboard": 1, "video": 1}


def test_regenerating_with_an_edited_prompt_makes_the_node_from_it(api, calls):
    drama = small_drama(api, episodes=1, scenes=2, characters=2)
    drain(generate(api, drama["id"])["id"])
    calls.clear()
    row = Drama.objects.get(public_id=drama["id"])

    run = runs.run_regenerate(drama=row, target_type="scene", key="sc_01_01",
                              node="storyboard", prompt="A rooftop at dawn, rain")  # fmt: skip
    drain(run.public_id)

    board = Asset.objects.get(scene__key="sc_01_01", kind="storyboard", is_current=True)
    assert board.prompt == "A rooftop at dawn, rain" and board.version == 2
    assert calls == {"storyboard": 1, "video": 1}
    assert Job.objects.get(public_id=run.public_id).status == Job.Status.COMPLETED


def test_regenerate_refuses_what_the_drama_does_not_have(api):
    drama = small_drama(api)
    row = Drama.objects.get(public_id=drama["id"])

    with pytest.raises(dag.PlanError):
        runs.run_regenerate(drama=row, target_type="scene", key="sc_09_09")
    with pytest.raises(dag.PlanError):
        runs.run_regenerate(drama=row, target_type="scene", key="sc_01_01", node="portrait")
    with pytest.raises(dag.PlanError):  # nothing made yet to carry an edited prompt
        runs.run_regenerate(drama=row, target_type="scene", key="sc_01_01", prompt="New")
    assert not Job.objects.filter(kind=Job.Kind.DAG).exists()


def test_regenerate_with_a_prompt_edits_nothing_while_a_run_is_going(api):
    drama = small_drama(api, episodes=1, scenes=1, characters=1)
    drain(generate(api, drama["id"])["id"])
    row = Drama.objects.get(public_id=drama["id"])
    board = Asset.objects.get(scene__key="sc_01_01", kind="storyboard", is_current=True)
    sidecar = Path(settings.MEDIA_ROOT, board.file.name).with_name(
        f"{board.public_id}_metadata.json"
    )
    before = sidecar.read_bytes()
    generate(api, drama["id"], force=True)

    with pytest.raises(runs.RunInProgress):
        runs.run_regenerate(drama=row, target_type="scene", key="sc_01_01",
                            node="storyboard", prompt="Another prompt")  # fmt: skip

    board.refresh_from_db()
    assert board.prompt != "Another prompt" and sidecar.read_bytes() == before
