from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from generation.services import jobs_sweep


class Command(BaseCommand):
    help = (
        "Re-sends jobs that a lost message or a dead worker left behind, and delayed jobs and "
        "render polls that are due; fails jobs whose worker died on their last attempt. Safe "
        "to run on several machines at once: every change it makes is a conditional UPDATE."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep sweeping.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between sweeps.")
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args, loop: bool, interval: float, quiet: bool, **options) -> None:
        while True:
            close_old_connections()
            try:
                count = jobs_sweep()
            except DatabaseError as exc:
                if not loop:
                    raise
                # The loop must outlive a database restart.
                self.stderr.write(f"sweep failed ({exc}); trying again")
                count = 0
            if (count or not loop) and not quiet:
                self.stdout.write(f"re-sent {count} job(s)")
            if not loop:
                return
            time.sleep(interval)
