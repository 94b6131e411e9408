"""`manage.py drama`: new, generate (and its dry run), status; through call_command and as a
real process on the test's database, with their exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assets.models import Asset
from dramas.models import Drama
from generation.models import Job
from generation.providers.base import ProviderError
from generation.providers.local.image import LocalImageProvider
from tests.test_dag import small_drama
from tests.workers import ROOT, database_env

PRICES = '{"offline-image-1": {"per_image": 0.04}, "offline-video-1": {"per_video_second": 0.1}}'


@pytest.fixture(autouse=True)
def _outputs(settings, tmp_path):
    settings.OUTPUTS_DIR = tmp_path / "outputs"


def drama_cmd(*args: str) -> str:
    out = StringIO()
    call_command("drama", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def manage(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "drama", *args],
        cwd=ROOT,
        env={
            **os.environ,
            **database_env(),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "OUTPUTS_DIR": str(tmp_path / "outputs"),
            **env,
        },  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
    )


# ---------------------------------------------------------------- through call_command
@pytest.mark.django_db
def test_it_writes_a_drama_from_a_premise_owned_by_the_first_admin(staff_user):
    out = drama_cmd(
        "new", "A courier delivers a letter to herself", "--episodes", "1", "--characters", "2",
        "--scenes", "2", "--genre", "thriller", "--wait", "--work-here",
    )  # fmt: skip

    drama_id = out.splitlines()[0]
    drama = Drama.objects.get(public_id=drama_id)
    assert drama.owner == staff_user and drama.status == Drama.Status.READY
    assert drama.genre == "thriller"
    assert (drama.characters.count(), drama.episodes.count(), drama.scenes.count()) == (2, 1, 2)
    assert "2 characters, 1 episodes, 2 scenes" in out


@pytest.mark.django_db
def test_new_without_wait_only_queues_the_script(staff_user):
    out = drama_cmd("new", "A twin swaps lives for a week", "--json")

    document = json.loads(out)
    assert document["drama"]["status"] == "writing" and document["job"]["status"] == "queued"


@pytest.mark.django_db
def test_new_refuses_options_the_api_refuses(staff_user):
    with pytest.raises(CommandError, match="episode_count") as caught:
        drama_cmd("new", "Too long a show", "--episodes", "99")
    assert caught.value.returncode == 2
    assert not Drama.objects.exists()


@pytest.mark.django_db
def test_the_dry_run_prints_the_plan_with_its_cost_and_queues_nothing(api, settings):
    settings.PRICES_JSON = PRICES
    drama = small_drama(api, episodes=1, scenes=2, characters=2, seconds=2)

    plan = json.loads(drama_cmd("generate", drama["id"], "--dry-run", "--json"))["plan"]
    text = drama_cmd("generate", drama["id"], "--dry-run")

    # 2 portraits, 2 auditions, 2 storyboards, 4 lines (two a scene), 2 clips, 1 music bed
    # and 1 cut.
    assert len(plan["to_make"]) == 14 and plan["satisfied"] == []
    assert {n["node"]: n["level"] for n in plan["to_make"]} == {
        "portrait": 1, "dialogue_audio": 1, "music": 1, "audition": 2, "storyboard": 2,
        "clip": 3, "episode_cut": 4}  # fmt: skip
    # 4 images at $0.04; video: 2 auditions of 5 s and 2 clips at $0.10 a second, each as long
    # as its two one-word lines (guessed at 0.6 s): ceil(0.3 + 1.2 + 0.35 + 0.5) = 3 s, not the
    # scenes' 2 s. The offline voices and music cost nothing.
    assert [n["estimated_cost_usd"] for n in plan["to_make"] if n["node"] == "clip"] == [0.3, 0.3]
    assert plan["estimated_cost_usd"]["by_provider"] == {
        "image:local": 0.16, "video:local": 1.6, "speech:local": 0.0, "music:local": 0.0,
        "assembly:ffmpeg": 0.0}  # fmt: skip
    assert plan["estimated_cost_usd"]["total"] == 1.76
    assert "portrait                2             0" in text and "$1.7600" in text
    assert "music                   1             0" in text
    assert "total                  14             0" in text
    assert "dialogue_audio          4             0" in text  # the widest name, aligned
    assert not Job.objects.filter(kind=Job.Kind.DAG).exists()


@pytest.mark.django_db
def test_generate_with_wait_makes_every_node_and_ends_with_the_summary(api):
    drama = small_drama(api, episodes=1, scenes=2, characters=2, seconds=1)

    out = drama_cmd("generate", drama["id"], "--wait", "--work-here")

    run = Job.objects.get(kind=Job.Kind.DAG)
    assert run.status == Job.Status.COMPLETED
    # 2 portraits, 2 auditions, 2 storyboards, 4 lines (two a scene), 2 clips, 1 music bed
    # and 1 cut.
    assert Job.objects.filter(parent=run, status=Job.Status.COMPLETED).count() == 14
    assert f"run {run.public_id} started" in out
    assert "100.0%  14 done" in out  # the last progress line, written plainly (no terminal)
    assert "\r" not in out
    assert f"run {run.public_id} completed: 14 nodes" in out
    assert "portrait                 2" in out
    assert "music                    1" in out

    again = json.loads(drama_cmd("generate", drama["id"], "--wait", "--work-here", "--json"))
    assert again["run"]["status"] == "completed"
    assert again["run"]["by_kind"]["clip"] == {"completed": 2, "already_made": 2}
    assert again["run"]["by_kind"]["dialogue_audio"] == {"completed": 4, "already_made": 4}
    # One asset a node, and the cut's subtitles and timeline beside it: 14 + 2, none made again.
    assert Asset.objects.count() == 16
    assert Asset.objects.filter(kind__in=("subtitles", "timeline")).count() == 2


@pytest.mark.django_db
def test_a_scoped_run_makes_only_that_scene(api):
    drama = small_drama(api, episodes=1, scenes=2, characters=2, seconds=1)

    scene = drama["episodes"][0]["scenes"][0]["id"]
    report = json.loads(
        drama_cmd("generate", drama["id"], "--scope", "scene", "--key", scene,
                  "--kinds", "image", "--wait", "--work-here", "--json")
    )["run"]  # fmt: skip

    # The scene's storyboard and the portraits it needs, nothing else.
    assert report["by_kind"].keys() == {"portrait", "storyboard"}
    assert report["counts"]["total"] == 3


@pytest.mark.django_db
def test_a_run_with_a_failed_node_exits_1(api, monkeypatch):
    drama = small_drama(api, episodes=1, scenes=1, characters=1, seconds=1)

    def refuse(self, request):
        raise ProviderError("the image service refused the prompt", retryable=False)

    monkeypatch.setattr(LocalImageProvider, "generate", refuse)
    out = StringIO()
    # The two lines and the music bed need no image and are made: the run ends partial.
    with pytest.raises(CommandError, match="the run ended partial") as caught:
        call_command("drama", "generate", drama["id"], "--wait", "--work-here", stdout=out)

    assert caught.value.returncode == 1
    assert "refused the prompt" in out.getvalue()
    status = json.loads(drama_cmd("status", drama["id"], "--json"))
    assert status["latest_run"]["status"] == "partial"
    # The portrait failed; its audition, the storyboard, the clip and the cut were skipped.
    counts = status["latest_run"]["counts"]
    assert (counts["failed"], counts["skipped"], counts["completed"]) == (1, 4, 3)


@pytest.mark.django_db
def test_status_shows_the_drama_and_its_latest_run(api):
    drama = small_drama(api, episodes=1, scenes=1, characters=1, seconds=1)
    assert "no run yet" in drama_cmd("status", drama["id"])

    drama_cmd("generate", drama["id"], "--wait", "--work-here")
    out = drama_cmd("status", drama["id"])

    assert out.startswith(f"{drama['id']}  ") and " produced " in out.splitlines()[0]
    # A portrait, an audition, a storyboard, its scene's two lines, a clip, a music bed, a cut.
    assert "100.0%" in out and "completed: 8 nodes" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("status", "drama_missing"), "no drama with id 'drama_missing'"),
        (("generate", "{id}", "--scope", "season"), "unknown scope 'season'"),
        (("generate", "{id}", "--scope", "scene", "--key", "nope"), "has no scene 'nope'"),
        (("generate", "{id}", "--scope", "episode"), "needs --key"),
        (("generate", "{id}", "--kinds", "sound"), "unknown kind 'sound'"),
    ],
)
def test_bad_input_is_a_command_error_with_exit_code_2(api, args, message):
    drama = small_drama(api, episodes=1, scenes=1, characters=1)
    with pytest.raises(CommandError, match=message) as caught:
        drama_cmd(*(a.format(id=drama["id"]) for a in args))
    assert caught.value.returncode == 2


# ---------------------------------------------------------------- as a real process
@pytest.mark.django_db(transaction=True)
def test_from_a_shell_bad_input_is_one_error_line_and_exit_code_2(api, tmp_path):
    drama = small_drama(api, episodes=1, scenes=1, characters=1)
    for args in (
        ("status", "drama_missing"),
        ("generate", drama["id"], "--scope", "season"),
        ("generate", drama["id"], "--kinds", "sound"),
        ("nonsense",),
        (),
    ):
        done = manage(tmp_path, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, done.stderr)


@pytest.mark.django_db(transaction=True)
def test_from_a_shell_new_generate_and_status_answer_json(staff_user, tmp_path):
    created = manage(
        tmp_path, "new", "A night nurse hears her name on the radio", "--episodes", "1",
        "--characters", "1", "--scenes", "1", "--wait", "--work-here", "--json",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    drama_id = json.loads(created.stdout)["drama"]["id"]
    assert json.loads(created.stdout)["drama"]["status"] == "ready"

    plan = manage(tmp_path, "generate", drama_id, "--dry-run", "--json", PRICES_JSON=PRICES)
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["plan"]["estimated_cost_usd"]["total"] > 0

    made = manage(tmp_path, "generate", drama_id, "--wait", "--work-here", "--json")
    assert made.returncode == 0, made.stderr
    run = json.loads(made.stdout)["run"]
    assert run["status"] == "completed" and run["counts"]["completed"] == run["counts"]["total"]
    assert "[" not in made.stderr  # no bar with --json

    status = manage(tmp_path, "status", drama_id, "--json")
    assert status.returncode == 0
    document = json.loads(status.stdout)
    assert document["drama"]["status"] == "produced"
    assert document["latest_run"]["id"] == run["id"]
