"""`manage.py drama`: dramas from a terminal — new, generate (or its dry run), status.

Exit codes: 0 success; 1 when a followed run ends failed or partial, or the script failed;
2 for bad input (an unknown drama, scope, key or kind), with one `error: …` line on stderr.
"""

from __future__ import annotations

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from dramaplatform.errors import DomainError
from dramas.models import Character, Drama, Episode, Scene
from dramas.serializers import PremiseInput
from generation import cli, dag, runs, script_jobs
from generation.models import Job

BAD_INPUT = 2
RUN_FAILED = 1
SCOPES = {"drama": None, "episode": Episode, "character": Character, "scene": Scene}


class Parser(CommandParser):
    """Argument errors are bad input: one line and exit code 2, from the shell or in code."""

    def error(self, message: str):
        raise CommandError(message, returncode=BAD_INPUT)


def owner_for(username: str | None):
    """The named user, else the first superuser, else the first staff user."""
    users = get_user_model().objects
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}", returncode=BAD_INPUT)
        return user
    user = users.filter(is_staff=True).order_by("-is_superuser", "id").first()
    if user is None:
        raise CommandError(
            "no staff user to own the drama: run `manage.py bootstrap_admin` or pass --owner",
            returncode=BAD_INPUT,
        )
    return user


def drama_by_id(public_id: str) -> Drama:
    drama = Drama.objects.filter(public_id=public_id).first()
    if drama is None:
        raise CommandError(f"no drama with id {public_id!r}", returncode=BAD_INPUT)
    return drama


class Command(BaseCommand):
    help = "Dramas from a terminal: `new`, `generate` (or --dry-run) and `status`."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = Parser.error.__get__(parser)  # BaseCommand builds its own parser
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{new,generate,status}", parser_class=Parser
        )

        new = sub.add_parser("new", help="a drama from a premise; prints its id")
        new.add_argument("premise")
        new.add_argument("--episodes", type=int, default=3)
        new.add_argument("--characters", type=int, default=4)
        new.add_argument("--scenes", type=int, default=3, help="scenes per episode")
        new.add_argument("--genre", default="")
        new.add_argument("--tone", default="")
        new.add_argument("--owner", help="username (default: the first admin)")
        self._following(new)

        gen = sub.add_parser("generate", help="make the drama's media (or --dry-run its plan)")
        gen.add_argument("drama_id")
        gen.add_argument("--scope", default="drama", help="drama, episode, character or scene")
        gen.add_argument("--key", help="the episode's, character's or scene's id")
        gen.add_argument("--kinds", default="", help="e.g. image,video or portrait,clip")
        gen.add_argument("--force", action="store_true", help="make the scope's nodes again")
        gen.add_argument("--dry-run", action="store_true", help="print the plan and its cost")
        self._following(gen)

        status = sub.add_parser("status", help="the drama's status and its latest run")
        status.add_argument("drama_id")
        status.add_argument("--json", action="store_true", help="one JSON document")

    @staticmethod
    def _following(parser: CommandParser) -> None:
        parser.add_argument("--wait", action="store_true", help="follow it until it ends")
        parser.add_argument(
            "--work-here",
            action="store_true",
            help="with --wait: do the work in this process (when no worker is running)",
        )
        parser.add_argument("--json", action="store_true", help="one JSON document, no bar")

    def run_from_argv(self, argv: list[str]) -> None:
        # As BaseCommand's, but every CommandError (argument errors too) is one `error:` line.
        self._called_from_command_line = True
        try:
            parser = self.create_parser(argv[0], argv[1])
            options = vars(parser.parse_args(argv[2:]))
            options.pop("args", None)
            self.execute(**options)
        except CommandError as exc:
            if "--traceback" in argv:
                raise
            self.stderr.write(f"error: {exc}")
            sys.exit(exc.returncode)
        finally:
            connections.close_all()

    def handle(self, *args, action: str, **options) -> None:
        self.json = options["json"]
        self.follower = cli.Follower(
            self.stdout,
            tty=self.stdout.isatty(),
            work_here=options.get("work_here", False),
            quiet=self.json,
        )
        try:
            getattr(self, f"do_{action}")(**options)
        except (DomainError, dag.PlanError) as exc:
            raise CommandError(getattr(exc, "message", str(exc)), returncode=BAD_INPUT) from None

    def emit(self, document: dict) -> None:
        self.stdout.write(cli.dumps(document))

    # ---------------------------------------------------------------- new
    def do_new(self, *, premise: str, owner: str | None, wait: bool, **options) -> None:
        data = {
            "premise": premise,
            "genre": options["genre"],
            "tone": options["tone"],
            "episode_count": options["episodes"],
            "character_count": options["characters"],
            "scenes_per_episode": options["scenes"],
        }
        checked = PremiseInput(data=data)
        if not checked.is_valid():
            problems = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in checked.errors.items())
            raise CommandError(problems, returncode=BAD_INPUT)
        drama, job = script_jobs.drama_create_from_premise(
            owner=owner_for(owner), options=checked.validated_data
        )
        if not self.json:
            self.stdout.write(drama.public_id)
        if wait:
            self.follower.script(job)
            drama.refresh_from_db()
        document = {"drama": drama_document(drama), "job": job_document(job)}
        if self.json:
            self.emit(document)
        elif wait and job.status == Job.Status.COMPLETED:
            self.stdout.write(describe(drama))
        if wait and job.status != Job.Status.COMPLETED:
            raise CommandError(f"the script was not written: {job.error}", returncode=RUN_FAILED)

    # ---------------------------------------------------------------- generate
    def do_generate(self, *, drama_id: str, scope: str, key: str | None, kinds: str, **options):
        drama = drama_by_id(drama_id)
        check_scope(drama, scope, key)
        chosen = [k.strip() for k in kinds.split(",") if k.strip()] or None
        dag.expand_kinds(chosen)  # refuses an unknown kind before anything is planned
        target = {"scope": scope, "key": key, "kinds": chosen, "force": options["force"]}
        if options["dry_run"]:
            summary = runs.plan_summary(dag.plan(drama, **target))
            if self.json:
                self.emit({"drama": drama.public_id, **target, "plan": summary})
            else:
                self.stdout.write(f"plan for {drama.public_id} ({scope}{' ' + key if key else ''})")
                self.stdout.write(cli.plan_table(summary))
            return
        run = runs.run_start(drama=drama, **target)
        if not self.json:
            self.stdout.write(f"run {run.public_id} started for {drama.public_id}")
        if options["wait"]:
            self.follower.run(run)
        run.refresh_from_db()
        report = cli.run_report(run)
        if self.json:
            self.emit({"drama": drama.public_id, "run": report})
        elif options["wait"]:
            self.stdout.write(cli.summary_table(report))
        if options["wait"] and run.status != Job.Status.COMPLETED:
            raise CommandError(f"the run ended {run.status}", returncode=RUN_FAILED)

    # ---------------------------------------------------------------- status
    def do_status(self, *, drama_id: str, **options) -> None:
        drama = drama_by_id(drama_id)
        run = cli.latest_run(drama)
        report = cli.run_report(run) if run is not None else None
        script = (
            Job.objects.filter(drama=drama, kind=Job.Kind.SCRIPT).order_by("-id").first()
            if drama.status in (Drama.Status.WRITING, Drama.Status.FAILED)
            else None
        )
        if self.json:
            self.emit(
                {
                    "drama": drama_document(drama),
                    "script_job": job_document(script) if script else None,
                    "latest_run": report,
                }
            )
            return
        self.stdout.write(describe(drama))
        if script is not None:
            self.stdout.write(f"script {script.public_id}: {script.status} {script.error}".strip())
        if run is None:
            self.stdout.write("no run yet")
            return
        self.stdout.write(cli.progress_line(run))
        self.stdout.write(cli.summary_table(report))


def check_scope(drama: Drama, scope: str, key: str | None) -> None:
    if scope not in SCOPES:
        raise CommandError(
            f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}", returncode=BAD_INPUT
        )
    model = SCOPES[scope]
    if model is None:
        if key:
            raise CommandError("--key names an episode, character or scene", returncode=BAD_INPUT)
        return
    if not key:
        raise CommandError(f"--scope {scope} needs --key", returncode=BAD_INPUT)
    if not model.objects.filter(drama=drama, key=key).exists():
        raise CommandError(f"the drama has no {scope} {key!r}", returncode=BAD_INPUT)


def drama_document(drama: Drama) -> dict:
    return {
        "id": drama.public_id,
        "title": drama.title,
        "premise": drama.premise,
        "status": drama.status,
        "characters": drama.characters.count(),
        "episodes": drama.episodes.count(),
        "scenes": Scene.objects.filter(drama=drama).count(),
    }


def job_document(job: Job) -> dict:
    return {"id": job.public_id, "kind": job.kind, "status": job.status, "error": job.error}


def describe(drama: Drama) -> str:
    d = drama_document(drama)
    return (
        f"{d['id']}  {d['title']!r}  {d['status']}  "
        f"({d['characters']} characters, {d['episodes']} episodes, {d['scenes']} scenes)"
    )
