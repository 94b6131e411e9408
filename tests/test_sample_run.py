"""`make run`'s main job, as it runs it: `manage.py migrate` then `manage.py sample` on a fresh
SQLite file and media directory, the offline provider, no worker. The sample is made end to
end, every file is real media of the right shape, and a second call makes nothing."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import opentimelineio as otio
import pytest
from PIL import Image

from generation.assembly import probe, probe_duration
from tests.workers import ROOT

# The embedded defaults, whatever the suite runs on (PostgreSQL, Redis, remote providers).
UNSET = ("DATABASE_URL", "REDIS_URL", "OPENAI_API_KEY", "GEMINI_API_KEY", "SORA_API_KEY",
         "R2_ACCOUNT_ID", "S3_BUCKET", "SCRIPT_PROVIDER", "IMAGE_PROVIDER",
         "VIDEO_PROVIDER", "DEFAULT_ASPECT_RATIO", "REQUIRE_STORYBOARD_APPROVAL")  # fmt: skip


@pytest.fixture
def fresh(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
        OUTPUTS_DIR=str(tmp_path / "outputs"),
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def spoken(seconds: list[float]) -> int:
    """A clip's length with dialogue: its lines one after another, 0.3 s before the first,
    0.35 s between two, 0.5 s after the last, rounded up to whole seconds."""
    return math.ceil(round(0.3 + sum(seconds) + 0.35 * (len(seconds) - 1) + 0.5, 6))


def test_it_makes_the_sample_drama_end_to_end_and_a_second_call_makes_nothing(fresh, tmp_path):
    db, media = tmp_path / "db.sqlite3", tmp_path / "media"
    manage(fresh, "migrate", "--noinput")
    started = time.monotonic()
    first = manage(fresh, "sample")
    took = time.monotonic() - started

    assert took < 60, f"the sample took {took:.0f} s"
    [(drama_id, status)] = rows(db, "SELECT id, status FROM dramas_drama")
    assert status == "produced"
    # The offline writer gives each of the 4 scenes (2 episodes of 2) its lines, each a node.
    lines: dict[int, list[str]] = {}
    for scene, line in rows(
        db, 'SELECT scene_id, line FROM dramas_dialogueline ORDER BY scene_id, "order", id'
    ):
        lines.setdefault(scene, []).append(line)
    scene_episode = dict(rows(db, "SELECT id, episode_id FROM dramas_scene"))
    assert lines.keys() == scene_episode.keys() and len(lines) == 4
    assert all(3 <= len(said) <= 5 for said in lines.values()), lines
    spoken_lines = sum(len(said) for said in lines.values())
    # 2 portraits, 2 auditions, 4 storyboards, the lines, 4 clips, 2 music beds and 2 cuts.
    by_node = {"portrait": 2, "audition": 2, "storyboard": 4, "dialogue_audio": spoken_lines,
               "clip": 4, "music": 2, "episode_cut": 2}  # fmt: skip
    total = sum(by_node.values())
    assert "run job_" in first.stdout and f"completed: {total} nodes" in first.stdout
    [(run_status,)] = rows(db, "SELECT status FROM generation_job WHERE kind = 'dag'")
    assert run_status == "completed"
    nodes = rows(db, "SELECT node, status, asset_id FROM generation_job WHERE parent_id > 0")
    assert Counter(node for node, *_ in nodes) == by_node
    assert all(s == "completed" and a for _, s, a in nodes), nodes

    assets = rows(
        db,
        "SELECT a.kind, a.file, a.episode_id, s.episode_id, a.scene_id, a.slot, a.prompt, "
        "a.parameters, a.metadata FROM assets_asset a "
        "LEFT JOIN dramas_scene s ON s.id = a.scene_id WHERE a.is_current",
    )
    kinds = sorted(k for k, *_ in assets)
    # One asset a node, and each cut's subtitles and timeline beside it.
    assert kinds == sorted([k for k, n in by_node.items() for _ in range(n)]
                           + ["subtitles"] * 2 + ["timeline"] * 2)  # fmt: skip
    # Every line is voiced, in its place in its scene.
    voiced = {slot: (prompt, json.loads(metadata))
              for kind, _, _, _, _, slot, prompt, _, metadata in assets
              if kind == "dialogue_audio"}  # fmt: skip
    assert {slot: prompt for slot, (prompt, _) in voiced.items()} == {
        f"scene:{scene}:dialogue_audio:{n}": line
        for scene, said in lines.items()
        for n, line in enumerate(said)
    }
    line_seconds = {scene: [voiced[f"scene:{scene}:dialogue_audio:{n}"][1]["durationSeconds"]
                            for n in range(len(said))]
                    for scene, said in lines.items()}  # fmt: skip
    episode_lines = {e: [line for s, said in lines.items() if scene_episode[s] == e
                         for line in said]
                     for e in set(scene_episode.values())}  # fmt: skip

    clip_seconds: dict[int, float] = {}
    cut_seconds: dict[int, float] = {}
    beside: dict[int, set[str]] = {}
    for kind, name, episode, in_episode, scene, _, _, parameters, metadata in assets:
        path = media / name
        metadata = json.loads(metadata)
        if kind in ("portrait", "storyboard"):
            with Image.open(path) as image:
                assert image.format == "PNG"
                image.verify()
                width, height = image.size
        elif kind in ("dialogue_audio", "music"):
            assert path.suffix == ".wav"
            media_info = probe(path)
            assert media_info.has_audio and not media_info.has_video
            assert probe_duration(path) == pytest.approx(metadata["durationSeconds"], abs=0.05)
            if kind == "music":  # the offline placeholder bed, 20-60 s
                assert metadata["placeholder"] is True and episode in episode_lines
                assert 20 <= metadata["durationSeconds"] <= 60
            continue
        elif kind == "subtitles":
            assert path.suffix == ".vtt"
            body = path.read_text()
            assert body.startswith("WEBVTT")
            # A cue a line of the episode, in the order they are said.
            assert body.count(" --> ") == metadata["cues"] == len(episode_lines[episode])
            positions = [body.index(line) for line in episode_lines[episode]]
            assert positions == sorted(positions)
            beside.setdefault(episode, set()).add(kind)
            continue
        elif kind == "timeline":
            assert path.suffix == ".otio"
            timeline = otio.adapters.read_from_file(str(path))
            tracks = {t.name: t for t in timeline.tracks}
            assert {"Video", "Dialogue", "Music"} <= tracks.keys()
            assert len(list(tracks["Video"].find_clips())) == 2  # the episode's 2 scenes
            assert len(list(tracks["Dialogue"].find_clips())) == len(episode_lines[episode])
            assert timeline.duration().to_seconds() == pytest.approx(
                metadata["durationSeconds"], abs=0.05)  # fmt: skip
            beside.setdefault(episode, set()).add(kind)
            continue
        else:
            assert path.suffix == ".mp4"
            media_info = probe(path)
            assert media_info.has_video
            width, height = media_info.width, media_info.height
            seconds = probe_duration(path)
            if kind == "clip":
                # As long as its voiced lines, not the sample's 2 s.
                wanted = spoken(line_seconds[scene])
                assert json.loads(parameters)["durationSeconds"] == wanted
                assert seconds == pytest.approx(wanted, abs=0.2)
                clip_seconds[in_episode] = clip_seconds.get(in_episode, 0) + seconds
            elif kind == "episode_cut":
                assert media_info.has_audio  # the lines and the music, mixed
                assert metadata["loudnessLufs"] == pytest.approx(-14.0, abs=1.0)
                assert metadata["subtitles"] == len(episode_lines[episode])
                cut_seconds[episode] = seconds
            else:
                assert seconds == pytest.approx(5, abs=0.2)
        assert width * 16 == pytest.approx(height * 9, rel=0.02), (kind, width, height)
    assert cut_seconds.keys() == clip_seconds.keys() and len(cut_seconds) == 2
    for episode, seconds in cut_seconds.items():
        assert seconds == pytest.approx(clip_seconds[episode], abs=0.3)
    assert beside == {episode: {"subtitles", "timeline"} for episode in cut_seconds}

    files = {p: p.stat().st_mtime_ns for p in media.rglob("*") if p.is_file()}
    jobs = rows(db, "SELECT count(*) FROM generation_job")
    second = manage(fresh, "sample")

    assert "nothing to generate" in second.stdout
    assert rows(db, "SELECT count(*) FROM dramas_drama") == [(1,)]
    assert rows(db, "SELECT count(*) FROM generation_job") == jobs  # no run, no provider call
    assert rows(db, "SELECT count(*) FROM assets_asset") == [(len(assets),)]
    assert {p: p.stat().st_mtime_ns for p in media.rglob("*") if p.is_file()} == files
