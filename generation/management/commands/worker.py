from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from generation.management.commands.show_config import configuration_text

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # The dispatcher must not outlive its worker, even one killed with SIGKILL.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Command(BaseCommand):
    help = (
        "Prints the configuration, then runs the django-q2 cluster that executes jobs, beside "
        "a dispatcher that wakes render polls, delayed retries and lost jobs when they are due."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-dispatcher", action="store_true", help="Run the cluster alone.")

    def handle(self, *args, no_dispatcher: bool, **options) -> None:
        self.stdout.write(configuration_text())
        dispatcher = None
        if not no_dispatcher:
            # django-q2 has no delayed delivery: this sweep, every JOB_TICK_MS, sends what is
            # due. A process of its own, since the cluster forks its workers.
            dispatcher = subprocess.Popen(  # noqa: S603
                [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "jobs_sweep",
                 "--loop", "--quiet", "--interval", str(settings.JOB_TICK_MS / 1000)],
                preexec_fn=_die_with_parent,  # noqa: PLW1509
            )  # fmt: skip
        try:
            call_command("qcluster")
        finally:
            if dispatcher is not None:
                dispatcher.terminate()
                dispatcher.wait(timeout=10)
