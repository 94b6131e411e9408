"""A real django-q2 cluster in a subprocess, on the test's own database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from generation.models import Job

ROOT = Path(__file__).resolve().parent.parent


def database_env() -> dict[str, str]:
    """Environment that points a subprocess at the database this test is using."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return {"SQLITE_PATH": str(db["NAME"]), "DATABASE_URL": ""}
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return {"DATABASE_URL": f"postgres://{auth}{host}:{port}/{db['NAME']}"}


@contextmanager
def running_cluster(tmp_path: Path, *, name: str = "worker", **extra_env: str):
    """Starts `manage.py worker` (the django-q2 cluster and its dispatcher) and stops it by
    signalling its main process. Its output goes to `{name}.log` in `tmp_path`."""
    env = {
        **os.environ,
        **database_env(),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "OUTPUTS_DIR": str(tmp_path / "outputs"),
        **extra_env,
    }
    env.setdefault("WORKERS", "2")
    log = (tmp_path / f"{name}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        # Stop the cluster through its main process; then make sure no worker outlives it
        # holding a connection to the test database.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def kill_cluster(process: subprocess.Popen) -> None:
    """SIGKILL to the whole cluster at once: main process, workers and dispatcher."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_for_job(public_id: str, *, statuses=Job.FINISHED, timeout: float = 60) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(public_id=public_id)
        if job.status in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {public_id} is still {job.status} after {timeout} s")
