"""`manage.py worker`: the django-q2 cluster that runs jobs, and beside it the dispatcher.

One process per machine (or container) runs this command. It starts django-q2's sentinel
(which spawns the worker processes) as its child, and runs the dispatcher itself: every
JOB_TICK_MS it sends render polls, delayed retries and jobs a lost message or a dead worker
left behind (django-q2 has no delayed delivery).

Stopping: SIGTERM (or SIGINT) to this process, or to its whole process group or control group
as systemd and most process managers send it, stops it within WORKER_STOP_SECONDS plus a few
seconds. The cluster's processes ignore the signal themselves; this command tells them to
stop, gives the tasks in progress until the grace period ends, stops what is still running,
and hands back every job its workers held, so that another worker takes them up at once
rather than after their leases expire.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django_q.brokers import get_broker
from django_q.cluster import Sentinel, get_mp_context

from generation.management.commands.show_config import configuration_text
from generation.services import WORKER_ID_ENV, jobs_hand_back, jobs_sweep

logger = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # No process of the cluster may outlive its parent, even one killed with SIGKILL.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _run_sentinel(stop_event, start_event, cluster_id, parent: int) -> None:
    """The sentinel's process: it spawns and guards the workers, the pusher and the monitor
    until `stop_event` is set. It and every process it forks ignore SIGTERM and SIGINT: a
    signal sent to the whole group must not kill a task half way; the command stops them."""
    _die_with_parent()
    os.register_at_fork(after_in_child=_die_with_parent)
    if os.getppid() != parent:  # the command died before the line above took effect
        os._exit(1)
    sentinel = Sentinel(stop_event, start_event, cluster_id, broker=get_broker(), start=False)
    # After Sentinel() (which restores the default action for SIGTERM), before it forks.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sentinel.start()


class Command(BaseCommand):
    help = (
        "Prints the configuration, then runs the django-q2 cluster that executes jobs and, "
        "beside it, the dispatcher that sends render polls, delayed retries and lost jobs "
        "when they are due. SIGTERM stops it cleanly, handing back the jobs it held."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-dispatcher", action="store_true", help="Run the cluster alone.")

    def handle(self, *args, no_dispatcher: bool, **options) -> None:
        self.stdout.write(configuration_text())
        self.stdout.flush()
        # Names this cluster's workers on the jobs they hold (`lease_owner`), so that it can
        # hand them back when it stops.
        identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        os.environ[WORKER_ID_ENV] = identity
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        context = get_mp_context()
        stop_event, start_event = context.Event(), context.Event()
        connection.close()  # the sentinel must not share this process's connection
        sentinel = context.Process(
            target=_run_sentinel,
            args=(stop_event, start_event, uuid.uuid4(), os.getpid()),
            name="sentinel",
        )
        sentinel.start()
        tick = settings.JOB_TICK_MS / 1000
        try:
            while not stop.wait(tick) and sentinel.is_alive():
                if no_dispatcher:
                    continue
                try:
                    close_old_connections()
                    jobs_sweep()
                except Exception:  # the loop must outlive a database hiccup
                    logger.exception("the dispatcher failed a sweep; trying again")
        finally:
            self._stop(sentinel, stop_event, identity)
        if not stop.is_set():
            sys.exit(f"the worker cluster stopped with code {sentinel.exitcode}")

    def _stop(self, sentinel, stop_event, identity: str) -> None:
        grace = settings.WORKER_STOP_SECONDS
        logger.info("stopping: the tasks in progress have %s s to finish", grace)
        stop_event.set()
        sentinel.join(timeout=grace)
        if sentinel.is_alive():
            logger.warning("tasks still running after %s s: stopping them", grace)
            # Its children die with it (they were forked with PR_SET_PDEATHSIG).
            sentinel.kill()
            sentinel.join(timeout=5)
        time.sleep(0.1)  # the workers' own exit, after their parent's
        close_old_connections()
        handed = jobs_hand_back(worker_id=identity)
        connection.close()
        logger.info("stopped; handed back %s job(s) for another worker to take up", handed)
