"""`make run`'s main job, as it runs it: `manage.py migrate` then `manage.py sample` on a fresh
SQLite file and media directory, the offline provider, no worker. The sample is made end to
end, every file is real media of the right shape, and a second call makes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

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


def test_it_makes_the_sample_drama_end_to_end_and_a_second_call_makes_nothing(fresh, tmp_path):
    db, media = tmp_path / "db.sqlite3", tmp_path / "media"
    manage(fresh, "migrate", "--noinput")
    started = time.monotonic()
    first = manage(fresh, "sample")
    took = time.monotonic() - started

    assert took < 60, f"the sample took {took:.0f} s"
    assert "run job_" in first.stdout and "completed: 14 nodes" in first.stdout
    [(drama_id, status)] = rows(db, "SELECT id, status FROM dramas_drama")
    assert status == "produced"
    [(run_status,)] = rows(db, "SELECT status FROM generation_job WHERE kind = 'dag'")
    assert run_status == "completed"
    nodes = rows(db, "SELECT node, status, asset_id FROM generation_job WHERE parent_id > 0")
    assert len(nodes) == 14 and all(s == "completed" and a for _, s, a in nodes), nodes

    assets = rows(
        db,
        "SELECT a.kind, a.file, a.episode_id, s.episode_id FROM assets_asset a "
        "LEFT JOIN dramas_scene s ON s.id = a.scene_id WHERE a.is_current",
    )
    kinds = sorted(k for k, *_ in assets)
    assert kinds == sorted(["portrait"] * 2 + ["audition"] * 2 + ["storyboard"] * 4
                           + ["clip"] * 4 + ["episode_cut"] * 2)  # fmt: skip
    clip_seconds: dict[int, float] = {}
    cut_seconds: dict[int, float] = {}
    for kind, name, episode, scene_episode in assets:
        path = media / name
        if kind in ("portrait", "storyboard"):
            with Image.open(path) as image:
                assert image.format == "PNG"
                image.verify()
                width, height = image.size
        else:
            assert path.suffix == ".mp4"
            media_info = probe(path)
            assert media_info.has_video
            width, height = media_info.width, media_info.height
            seconds = probe_duration(path)
            if kind == "clip":
                assert seconds == pytest.approx(2, abs=0.2)
                clip_seconds[scene_episode] = clip_seconds.get(scene_episode, 0) + seconds
            elif kind == "episode_cut":
                cut_seconds[episode] = seconds
            else:
                assert seconds == pytest.approx(5, abs=0.2)
        assert width * 16 == pytest.approx(height * 9, rel=0.02), (kind, width, height)
    assert cut_seconds.keys() == clip_seconds.keys() and len(cut_seconds) == 2
    for episode, seconds in cut_seconds.items():
        assert seconds == pytest.approx(clip_seconds[episode], abs=0.3)

    files = {p: p.stat().st_mtime_ns for p in media.rglob("*") if p.is_file()}
    jobs = rows(db, "SELECT count(*) FROM generation_job")
    second = manage(fresh, "sample")

    assert "nothing to generate" in second.stdout
    assert rows(db, "SELECT count(*) FROM dramas_drama") == [(1,)]
    assert rows(db, "SELECT count(*) FROM generation_job") == jobs  # no run, no provider call
    assert rows(db, "SELECT count(*) FROM assets_asset") == [(len(assets),)]
    assert {p: p.stat().st_mtime_ns for p in media.rglob("*") if p.is_file()} == files
