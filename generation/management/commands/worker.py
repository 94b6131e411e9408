from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from generation.management.commands.show_config import configuration_text
from generation.services import jobs_sweep

logger = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # The cluster must not outlive this command, even when it is killed with SIGKILL.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Command(BaseCommand):
    help = (
        "Prints the configuration, then runs the django-q2 cluster that executes jobs, and "
        "beside it the dispatcher that sends render polls, delayed retries and lost jobs when "
        "they are due (django-q2 has no delayed delivery)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-dispatcher", action="store_true", help="Run the cluster alone.")

    def handle(self, *args, no_dispatcher: bool, **options) -> None:
        self.stdout.write(configuration_text())
        self.stdout.flush()
        cluster = subprocess.Popen(  # noqa: S603
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "qcluster"],
            preexec_fn=_die_with_parent,  # noqa: PLW1509 (no threads are running yet)
        )
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        tick = settings.JOB_TICK_MS / 1000
        try:
            while not stop.wait(tick) and cluster.poll() is None:
                if no_dispatcher:
                    continue
                try:
                    close_old_connections()
                    jobs_sweep()
                except Exception:  # the loop must outlive a database hiccup
                    logger.exception("the dispatcher failed a sweep; trying again")
        finally:
            connection.close()
            if cluster.poll() is None:
                cluster.send_signal(signal.SIGTERM)
                try:
                    cluster.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    cluster.kill()
                    cluster.wait()
        if cluster.returncode not in (0, -signal.SIGTERM) and not stop.is_set():
            sys.exit(f"the worker cluster stopped with code {cluster.returncode}")
