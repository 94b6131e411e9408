"""`manage.py sample`: the sample drama, written and made end to end, once.

`make run` calls it before serving, so a fresh machine opens on a finished drama. It finds the
sample by its premise, writes it if it is missing, and makes only what is not made yet: a
second call makes nothing. The work is done in this process (no worker needs to be running),
with the progress of `manage.py drama generate --wait`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dramas import services as drama_services
from dramas.models import Drama
from generation import cli, dag, runs, script_jobs
from generation.models import Job

PREMISE = "A lighthouse keeper finds letters from her future self washing up on the shore."
OPTIONS = {"genre": "mystery", "tone": "wistful", "episode_count": 2, "character_count": 2,
           "scenes_per_episode": 2}  # fmt: skip


def sample_owner():
    """The first admin, or (before any exists) a user of its own that cannot log in."""
    users = get_user_model().objects
    owner = users.filter(is_staff=True).order_by("-is_superuser", "id").first()
    if owner is None:
        owner = users.filter(username="sample").first() or users.create_user(username="sample")
    return owner


class Command(BaseCommand):
    help = "Writes and makes the sample drama, or whatever of it is missing."

    def handle(self, *args, **options) -> None:
        follower = cli.Follower(self.stdout, tty=self.stdout.isatty(), work_here=True)
        drama = Drama.objects.filter(premise=PREMISE).order_by("id").first()
        if drama is not None and drama.status == Drama.Status.FAILED:
            drama_services.drama_delete(drama=drama)  # its script failed: write it again
            drama = None
        if drama is None:
            self.stdout.write("Writing the sample drama's script…")
            drama, job = script_jobs.drama_create_from_premise(
                owner=sample_owner(), options={"premise": PREMISE, **OPTIONS}
            )
            follower.script(job)
        elif drama.status == Drama.Status.WRITING:
            job = Job.objects.filter(drama=drama, kind=Job.Kind.SCRIPT).order_by("-id").first()
            follower.script(job)
        drama.refresh_from_db()
        if drama.status in (Drama.Status.WRITING, Drama.Status.FAILED):
            raise CommandError("the sample drama's script could not be written")
        self.stdout.write(f"Sample drama {drama.public_id}: {drama.title}")

        run = runs.active_run(drama)  # one left by an interrupted call: finish it
        if run is None:
            if not dag.plan(drama).to_make:
                self.stdout.write("Every node is made already: nothing to generate.")
                return
            run = runs.run_start(drama=drama)
        self.stdout.write(f"Making its media: run {run.public_id}")
        follower.run(run)
        self.stdout.write(cli.summary_table(cli.run_report(run)))
        if run.status != Job.Status.COMPLETED:
            raise CommandError(
                f"the sample run ended {run.status}; `manage.py sample` again makes what is missing"
            )
