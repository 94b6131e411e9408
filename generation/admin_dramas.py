"""Generation's part of the script's admin, registered by `generation.admin`.

Dramas get their media and their latest run on the list and the change page, and the actions
that start background work (generate all after a dry run, regenerate failed, improve,
critique). Characters, scenes, episodes and assets get a "Regenerate…" page: their node made
again, optionally from an edited prompt, with what depends on it. Every write is a call to the
services the API calls (generation.runs, generation.script_jobs); their refusals become
messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME, ActionForm
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, FloatField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localtime

from assets import admin as asset_admin
from assets.models import Asset
from assets.selectors import with_current_assets
from dramaplatform.errors import DomainError
from dramas import admin as script_admin
from dramas import services as drama_services
from dramas.models import Character, Drama, Episode, Scene
from dramas.selectors import count_per_drama
from generation import dag, runs, script_jobs
from generation.models import Job
from generation.selectors import run_progress

N = Job.Node
# Singular and plural, in the order a run makes them.
NODE_NAMES = {
    N.PORTRAIT: ("portrait", "portraits"),
    N.AUDITION: ("audition", "auditions"),
    N.STORYBOARD: ("storyboard", "storyboards"),
    N.DIALOGUE_AUDIO: ("voiced line", "voiced lines"),
    N.CLIP: ("clip", "clips"),
    N.MUSIC: ("music bed", "music beds"),
    N.EPISODE_CUT: ("episode cut", "episode cuts"),
}
# What an entity's card shows, in this order: its nodes' assets, and the files a cut brings.
SHOWN = {
    "character": (N.PORTRAIT, N.AUDITION),
    "scene": (N.STORYBOARD, N.CLIP, N.DIALOGUE_AUDIO),
    "episode": (N.EPISODE_CUT, N.MUSIC, Asset.Kind.SUBTITLES, Asset.Kind.TIMELINE),
}
FILE_NAMES = {Asset.Kind.SUBTITLES: "subtitles (WebVTT)",
              Asset.Kind.TIMELINE: "timeline (OpenTimelineIO)"}  # fmt: skip


def counted(n: int, singular: str, plural: str = "") -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def usd(amount: float | None) -> str:
    """`$0.42`; small sums keep their digits (`$0.0040`); an unknown price says so."""
    if amount is None:
        return "unknown"
    if 0 < amount < 0.01:
        return f"${amount:.4f}"
    return f"${amount:,.2f}"


def node_counts(nodes: Iterable[str]) -> list[tuple[str, int]]:
    """[("storyboards", 2), …] in the order a run makes them."""
    by_node = Counter(nodes)
    return [(NODE_NAMES[n][by_node[n] != 1], by_node[n]) for n in NODE_NAMES if by_node[n]]


def progress_bar(percent: float, status: str) -> str:
    whole = int(percent)
    return format_html(
        '<span class="run-progress run-{}" role="progressbar" aria-valuemin="0" '
        'aria-valuemax="100" aria-valuenow="{}"><span style="width: {}%"></span></span>'
        '<span class="run-progress-label">{} %</span>',
        status,
        whole,
        whole,
        whole,
    )


# ---------------------------------------------------------------- the list's columns
def _of_latest_run(name: str, aggregate) -> Subquery:
    """An aggregate over the nodes of the run annotated as `run_pk`."""
    rows = (
        Job.objects.filter(parent=OuterRef("run_pk"))
        .order_by()
        .values("parent")
        .annotate(**{name: aggregate})
        .values(name)
    )
    return Subquery(rows)


def with_size_and_latest_run(dramas: QuerySet[Drama]) -> QuerySet[Drama]:
    """Annotates the script's size and the latest run: its pk, status, nodes, nodes finished,
    cost so far (the nodes' `costUsd`) and estimate, in the same query whatever the number
    of dramas."""
    latest = Job.objects.filter(drama=OuterRef("pk"), kind=Job.Kind.DAG, parent=None).order_by(
        "-created_at", "-id"
    )
    estimate = latest.annotate(e=Cast(KT("metadata__estimatedCostUsd"), FloatField()))
    return dramas.annotate(
        character_count=count_per_drama(Character),
        episode_count=count_per_drama(Episode),
        scene_count=count_per_drama(Scene),
        run_pk=Subquery(latest.values("pk")[:1]),
        run_status=Subquery(latest.values("status")[:1]),
        run_estimate=Subquery(estimate.values("e")[:1]),
    ).annotate(
        run_nodes=_of_latest_run("n", Count("pk")),
        run_finished=_of_latest_run("n", Count("pk", filter=Q(status__in=Job.FINISHED))),
        run_cost=_of_latest_run("c", Sum(Cast(KT("metadata__costUsd"), FloatField()))),
    )


def latest_run(drama: Drama) -> Job | None:
    return (
        Job.objects.filter(drama=drama, kind=Job.Kind.DAG, parent=None)
        .order_by("-created_at", "-id")
        .first()
    )


def job_url(pk: int) -> str:
    return reverse("admin:generation_job_change", args=[pk])


# ---------------------------------------------------------------- media on the pages
@dataclass
class Medium:
    """One node's current asset as the pages show it (or the place where it will be)."""

    node: str
    asset: Asset | None
    poster: str = ""
    label: str = ""

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        return NODE_NAMES[self.node][0] if self.node in NODE_NAMES else FILE_NAMES[self.node]

    @property
    def is_audio(self) -> bool:
        return self.asset is not None and self.asset.media_type == Asset.MediaType.AUDIO

    @property
    def download_name(self) -> str:
        """The file's name when saved: the upload's, or the kind's with its extension."""
        if self.asset is None:
            return ""
        return self.asset.filename or (
            f"{self.asset.kind}-{self.asset.public_id}.{self.asset.extension}"
        )

    @property
    def url(self) -> str:
        return self.asset.file.url if self.asset is not None and self.asset.file else ""

    @property
    def is_video(self) -> bool:
        return self.asset is not None and self.asset.media_type == Asset.MediaType.VIDEO

    @property
    def admin_url(self) -> str:
        return reverse("admin:assets_asset_change", args=[self.asset.pk]) if self.asset else ""


@dataclass
class MediaCard:
    """An entity's media: a character's portrait and audition, a scene's storyboard and
    clip, an episode's cut."""

    title: str
    subtitle: str
    change_url: str
    regenerate_url: str
    media: list[Medium] = field(default_factory=list)


def media_of(entity: Character | Scene | Episode) -> list[Medium]:
    """The entity's nodes with their current assets (prefetched as `current_assets`); a video
    shows the image it was made from until it plays."""
    current: dict[str, list[Asset]] = {}
    for a in entity.current_assets:
        current.setdefault(a.kind, []).append(a)
    media: list[Medium] = []
    for node in SHOWN[entity._meta.model_name]:
        if node == N.DIALOGUE_AUDIO:
            # Each voiced line, in the scene's order, named by who says it.
            lines = sorted(current.get(node, []), key=lambda a: a.metadata.get("line", 0))
            media += [Medium(node=node, asset=a, label=f"line {a.metadata.get('line', 0) + 1}: "
                             f"{a.metadata.get('speaker', '')}".strip(": "))
                      for a in lines]  # fmt: skip
            continue
        if node not in NODE_NAMES and node not in current:
            continue  # a file the cut brings, once it has one
        medium = Medium(node=node, asset=(current.get(node) or [None])[0])
        if medium.is_video and media and not media[-1].is_video:
            medium.poster = media[-1].url
        media.append(medium)
    return media


def media_card(entity: Character | Scene | Episode, title: str, subtitle: str) -> MediaCard:
    info = entity._meta.app_label, entity._meta.model_name
    return MediaCard(
        title=title,
        subtitle=subtitle,
        change_url=reverse("admin:{}_{}_change".format(*info), args=[entity.pk]),
        regenerate_url=reverse("admin:{}_{}_regenerate".format(*info), args=[entity.pk]),
        media=media_of(entity),
    )


def drama_media(drama: Drama) -> dict:
    """Cards for the drama's characters, and for each episode its cut and its scenes: six
    queries whatever the drama's size."""
    characters = list(drama.characters.all())
    episodes = list(drama.episodes.all())
    with_current_assets(characters)
    with_current_assets(episodes, "", "scenes__")
    return {
        "characters": [media_card(c, c.name, c.key) for c in characters],
        "episodes": [
            {
                "episode": e,
                "name": dag.episode_name(e),
                "cut": media_card(e, f"Episode {e.number} cut", e.key),
                "scenes": [
                    media_card(s, s.title or s.key, s.key) for s in e.scenes.all()
                ],  # fmt: skip
            }
            for e in episodes
        ],
    }


# ---------------------------------------------------------------- dramas
class GenerationActionForm(ActionForm):
    feedback = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": "Feedback for 'improve'"}),
    )


admin.site.unregister(Drama)


@admin.register(Drama)
class DramaAdmin(script_admin.DramaAdmin):
    """The script's admin, with its media, its latest run and the actions that start
    background work."""

    list_display = ("drama", "owner", "status", "size", "latest_run")
    readonly_fields = ("public_id", "version", "created_at", "updated_at", "run_report", "jobs",
                       "critique_report")  # fmt: skip
    action_form = GenerationActionForm
    actions = ("generate", "regenerate_failed", "improve", "critique")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Drama]:
        return with_size_and_latest_run(super().get_queryset(request))

    def get_fieldsets(self, request: HttpRequest, obj: Drama | None = None):
        script = (None, {"fields": (
            "title", "owner", "premise", "logline", ("genre", "tone"), "status",
        )})  # fmt: skip
        if obj is None:
            return (script,)
        return (
            script,
            ("Generation", {"fields": ("run_report", "jobs")}),
            ("Critique", {"fields": ("critique_report",)}),
            ("Record", {"fields": ("public_id", "version", ("created_at", "updated_at")),
                        "classes": ("collapse",)}),
        )  # fmt: skip

    # ---------------------------------------------------------------- columns
    @admin.display(description="Drama", ordering="title")
    def drama(self, obj: Drama) -> str:
        created = date_format(localtime(obj.created_at), "SHORT_DATE_FORMAT")
        return format_html('{}<span class="drama-id">{} · {}</span>', obj.title or "(untitled)",
                           obj.public_id, created)  # fmt: skip

    @admin.display(description="Size")
    def size(self, obj: Drama) -> str:
        return format_html(
            '<span class="nowrap">{},</span> <span class="nowrap">{},</span> '
            '<span class="nowrap">{}</span>',
            counted(obj.character_count, "character"),
            counted(obj.episode_count, "episode"),
            counted(obj.scene_count, "scene"),
        )

    @admin.display(description="Latest run, cost so far")
    def latest_run(self, obj: Drama) -> str:
        if obj.run_pk is None:
            return format_html('<span class="quiet">{}</span>', "not generated yet")
        total, finished = obj.run_nodes or 0, obj.run_finished or 0
        percent = 100.0 * finished / total if total else 100.0
        spent = usd(obj.run_cost or 0.0)
        if obj.run_estimate is not None:
            spent = f"{spent} of ~{usd(obj.run_estimate)}"
        return format_html(
            '<a class="run-link" href="{}" title="{} of {} nodes finished">{}</a>'
            '<span class="run-status">{}</span><span class="run-cost">{}</span>',
            job_url(obj.run_pk),
            finished,
            total,
            progress_bar(percent, obj.run_status),
            obj.run_status,
            spent,
        )

    # ---------------------------------------------------------------- the change page
    @admin.display(description="Jobs")
    def jobs(self, obj: Drama) -> str:
        url = reverse("admin:generation_job_changelist") + f"?drama__id__exact={obj.pk}"
        return format_html('<a href="{}">{} job(s)</a>', url, obj.jobs.count())

    @admin.display(description="Latest run")
    def run_report(self, obj: Drama) -> str:
        run = latest_run(obj)
        if run is None:
            return "Not generated yet: “Generate all…” above plans the run and its cost."
        progress = run_progress(job=run)
        by_status = Counter(run.children.values_list("status", flat=True))
        counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(by_status.items()))
        estimate = progress["estimated_cost_usd"]
        return format_html(
            '<div class="run-report">{} <a href="{}">{}</a> — {}; {} spent{}.'
            '<div class="quiet">{}</div></div>',
            progress_bar(progress["percent"], run.status),
            job_url(run.pk),
            run.public_id,
            run.status,
            usd(progress["cost_usd"]),
            f" of an estimated {usd(estimate)}" if estimate is not None else "",
            counts or "no nodes",
        )

    @admin.display(description="Latest critique")
    def critique_report(self, obj: Drama) -> str:
        critique = obj.critique
        if not critique:
            return "None yet: the “Critique the script” action on the list writes one."
        if not isinstance(critique, dict):
            return str(critique)
        issues = format_html_join(
            "",
            '<li><strong class="severity-{}">{}</strong> {} <span class="quiet">{}</span></li>',
            (
                (i.get("severity", ""), i.get("severity", ""), i.get("message", ""),
                 ", ".join(i.get("refs", [])))
                for i in critique.get("issues", [])
            ),
        )  # fmt: skip
        return format_html(
            '<div class="critique"><p><strong>Score {}/100.</strong> {}</p>{}</div>',
            critique.get("score", "?"),
            critique.get("summary", ""),
            format_html("<ul>{}</ul>", issues) if issues else "",
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["drama_media"] = drama_media(obj)
            context["generate_url"] = reverse("admin:dramas_drama_generate", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        generate = path(
            "<path:object_id>/generate/",
            self.admin_site.admin_view(self.generate_view),
            name="dramas_drama_generate",
        )
        return [generate, *super().get_urls()]

    def generate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The dry run of one drama from its change page; the confirmation posts the action."""
        drama = self.get_object(request, unquote(object_id))
        if drama is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, drama):
            raise PermissionDenied
        back = reverse("admin:dramas_drama_change", args=[drama.pk])
        return self._generate_confirmation(request, [drama], back=back)

    # ---------------------------------------------------------------- actions
    @admin.action(description="Generate all media not made yet…", permissions=["change"])
    def generate(self, request: HttpRequest, queryset: QuerySet[Drama]) -> HttpResponse | None:
        if request.POST.get("post") != "yes":
            return self._generate_confirmation(request, list(queryset))
        for drama in queryset:
            try:
                run = runs.run_start(drama=drama)
            except (DomainError, dag.PlanError) as exc:
                self.message_user(request, f"{drama}: {exc}", messages.WARNING)
                continue
            meta = run.metadata
            self.message_user(
                request,
                format_html(
                    '{}: started run <a href="{}">{}</a> ({} to make, {} already made).',
                    drama, job_url(run.pk), run.public_id, meta.get("planned", 0),
                    meta.get("alreadySatisfied", 0),
                ),
            )  # fmt: skip
        return self._back(request)

    @admin.action(description="Regenerate what failed in the latest run", permissions=["change"])
    def regenerate_failed(self, request: HttpRequest, queryset: QuerySet[Drama]) -> None:
        for drama in queryset:
            run = latest_run(drama)
            if run is None:
                self.message_user(
                    request, f"{drama}: no run to retry yet; generate it first.", messages.WARNING
                )
                continue
            try:
                run = runs.run_retry(run=run)
            except DomainError as exc:
                self.message_user(request, f"{drama}: {exc}", messages.WARNING)
                continue
            self.message_user(
                request,
                format_html(
                    '{}: retrying the failed, skipped and cancelled nodes of <a href="{}">{}</a>.',
                    drama, job_url(run.pk), run.public_id,
                ),
            )  # fmt: skip

    @admin.action(description="Improve with the feedback above", permissions=["change"])
    def improve(self, request: HttpRequest, queryset: QuerySet[Drama]) -> None:
        feedback = request.POST.get("feedback", "").strip()
        if not feedback:
            self.message_user(request, "Write the feedback first.", messages.ERROR)
            return
        self._start(request, queryset, lambda d: script_jobs.drama_request_improve(
            drama=d, feedback=feedback))  # fmt: skip

    @admin.action(description="Critique the script", permissions=["change"])
    def critique(self, request: HttpRequest, queryset: QuerySet[Drama]) -> None:
        self._start(request, queryset, lambda d: script_jobs.drama_request_critique(drama=d))

    def _start(
        self, request: HttpRequest, queryset: QuerySet[Drama], start: Callable[[Drama], Job]
    ) -> None:
        for drama in queryset:
            try:
                job = start(drama)
            except DomainError as exc:
                self.message_user(request, f"{drama}: {exc}", messages.WARNING)
                continue
            self.message_user(request, f"{drama}: queued {job.public_id}.")

    def _generate_confirmation(
        self, request: HttpRequest, dramas: list[Drama], *, back: str = ""
    ) -> TemplateResponse:
        """What "generate all" would make and spend for each drama (the dry run), to confirm."""
        planned = [dry_run(d) for d in dramas]
        # A drama with everything made already would start a run that does nothing.
        starting = [p for p in planned if not p["refusal"] and p["to_make"]]
        totals = [p["total"] for p in starting]
        context = {
            **self.admin_site.each_context(request),
            "title": "Generate all media not made yet?",
            "opts": self.opts,
            "planned": planned,
            "starting": starting,
            "grand_total": usd(None if None in totals else sum(totals)),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "back": back,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/dramas/drama/generate_confirmation.html", context)

    def _back(self, request: HttpRequest) -> HttpResponseRedirect | None:
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(back)
        return None


def dry_run(drama: Drama) -> dict:
    """What "generate all" would do to the drama: why it would not start, or per kind of
    node how many the run makes and how many are made already, and the estimated costs."""
    try:
        drama_services.require_script(drama=drama)
        running = runs.active_run(drama)
        if running is not None:
            raise runs.RunInProgress(running)
    except DomainError as exc:
        return {"drama": drama, "refusal": str(exc)}
    summary = runs.plan_summary(dag.plan(drama))
    rows = []
    for node, (_, plural) in NODE_NAMES.items():
        costs = [r["estimated_cost_usd"] for r in summary["to_make"] if r["node"] == node]
        kept = sum(1 for r in summary["satisfied"] if r["node"] == node)
        if costs or kept:
            rows.append({"name": plural, "to_make": len(costs), "satisfied": kept,
                         "cost": usd(None if None in costs else sum(costs))})  # fmt: skip
    cost = summary["estimated_cost_usd"]
    return {
        "drama": drama,
        "refusal": "",
        "rows": rows,
        "to_make": len(summary["to_make"]),
        "satisfied": len(summary["satisfied"]),
        "by_provider": [(name, usd(c)) for name, c in cost["by_provider"].items()],
        "total": cost["total"],
        "total_text": usd(cost["total"]),
    }


# ---------------------------------------------------------------- regenerate where you look
@dataclass
class Target:
    """What a regenerate page makes again: these nodes of one entity of a drama."""

    drama: Drama
    target_type: str
    key: str
    nodes: tuple[str, ...]
    label: str
    back_url: str


class RegenerateAdmin(admin.ModelAdmin):
    """Adds `…/<id>/regenerate/`: a node of the object made again with what depends on it,
    optionally from an edited prompt, through `runs.run_regenerate`.

    Each admin that mixes it in says what its objects regenerate with
    `regenerate_target(obj) -> Target | None` (None: nothing a run makes)."""

    regenerate_template = "admin/dramas/regenerate_form.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        regenerate = path(
            "<path:object_id>/regenerate/",
            self.admin_site.admin_view(self.regenerate_view),
            name="{}_{}_regenerate".format(*info),
        )
        return [regenerate, *super().get_urls()]

    def regenerate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        target = self.regenerate_target(obj)
        here = request.path
        if target is None:
            self.message_user(request, f"{obj} is not media a run makes.", messages.WARNING)
            return HttpResponseRedirect(reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]
            ))  # fmt: skip
        if request.method == "POST":
            return self._regenerate(request, target, here)
        graph = dag.drama_graph(target.drama)
        options = [self._option(target, graph, graph[(n, target.key)]) for n in target.nodes
                   if (n, target.key) in graph]  # fmt: skip
        running = runs.active_run(target.drama)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Regenerate {target.label}",
            "opts": self.opts,
            "original": obj,
            "target": target,
            "options": options,
            "running": running,
            "running_url": job_url(running.pk) if running else "",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.regenerate_templates(), context)

    def regenerate_templates(self) -> list[str]:
        return [
            f"admin/{self.opts.app_label}/{self.opts.model_name}/regenerate_form.html",
            self.regenerate_template,
        ]

    def _option(self, target: Target, graph: dict[dag.Key, dag.Node], node: dag.Node) -> dict:
        """One node's form: its media, its prompt, and what making it again makes."""
        plan = dag.plan(target.drama, remake={node.key})
        making = [n.node for n in plan.to_make]
        medium = Medium(node=node.node, asset=node.current)
        made_from = [graph[k].current for k in node.inputs if k in graph]
        if medium.is_video and len(made_from) == 1 and made_from[0] is not None:
            medium.poster = Medium(node=node.inputs[0][0], asset=made_from[0]).url
        return {
            "node": node.node,
            "name": NODE_NAMES[node.node][0],
            "prompt": node.prompt,
            "editable": node.current is not None,
            "medium": medium,
            "makes": ", ".join(counted(n, name) for name, n in node_counts(making)),
            "cost": usd(plan.total_cost()),
        }

    def _regenerate(self, request: HttpRequest, target: Target, here: str) -> HttpResponse:
        node = request.POST.get("node", "")
        prompt = request.POST.get("prompt", "").replace("\r\n", "\n").strip()
        current = dag.drama_graph(target.drama).get((node, target.key))
        # An unchanged prompt is not an edit: it would pin the node to today's prompt.
        edited = prompt if current is None or prompt != current.prompt.strip() else ""
        try:
            running = runs.active_run(target.drama)
            if edited and running is not None:
                # run_regenerate would refuse too, but only after the prompt's edit has
                # rewritten the asset's sidecar, which the rollback does not undo.
                raise runs.RunInProgress(running)
            run = runs.run_regenerate(
                drama=target.drama, target_type=target.target_type, key=target.key, node=node,
                prompt=edited,
            )  # fmt: skip
        except dag.PlanError as exc:
            self.message_user(request, f"Nothing was started: {exc}.", messages.ERROR)
            return HttpResponseRedirect(here)
        except DomainError as exc:
            self.message_user(request, f"Nothing was started: {exc}", messages.WARNING)
            return HttpResponseRedirect(here)
        making = [made for made, meta in run.children.values_list("node", "metadata")
                  if not meta.get("satisfied")]  # fmt: skip
        what = ", ".join(counted(n, name) for name, n in node_counts(making))
        self.message_user(
            request,
            format_html(
                'Started run <a href="{}">{}</a>{}: it makes {}.',
                job_url(run.pk), run.public_id, " from the edited prompt" if edited else "",
                what or "nothing",
            ),
        )  # fmt: skip
        return HttpResponseRedirect(target.back_url)


class EntityRegenerateAdmin(RegenerateAdmin):
    """A character's, a scene's or an episode's page: its media beside the form, and a
    "Regenerate…" button."""

    target_type = ""

    def regenerate_target(self, obj: Character | Scene | Episode) -> Target:
        return Target(
            drama=obj.drama,
            target_type=self.target_type,
            key=obj.key,
            nodes=runs.REGENERATED[self.target_type],
            label=f"the media of {obj}",
            back_url=reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]
            ),
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            with_current_assets([obj])
            context["entity_media"] = media_of(obj)
            context["regenerate_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_regenerate", args=[obj.pk]
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


for model in (Character, Scene, Episode):
    admin.site.unregister(model)


@admin.register(Character)
class CharacterAdmin(EntityRegenerateAdmin, script_admin.CharacterAdmin):
    target_type = "character"


@admin.register(Scene)
class SceneAdmin(EntityRegenerateAdmin, script_admin.SceneAdmin):
    target_type = "scene"


@admin.register(Episode)
class EpisodeAdmin(EntityRegenerateAdmin, script_admin.EpisodeAdmin):
    target_type = "episode"


# ---------------------------------------------------------------- assets
admin.site.unregister(Asset)


@admin.register(Asset)
class AssetAdmin(RegenerateAdmin, asset_admin.AssetAdmin):
    """The asset library's admin, with a way to make the asset's node again. The button is a
    read-only field, so the page's own template stays the asset admin's."""

    def get_readonly_fields(self, request: HttpRequest, obj: Asset | None = None):
        fields = tuple(super().get_readonly_fields(request, obj))
        # Only for who may use it: a moderator reviews, and does not start runs.
        if obj is None or not self.has_change_permission(request, obj):
            return fields
        return (*fields, "regenerate")

    def get_fieldsets(self, request: HttpRequest, obj: Asset | None = None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if "regenerate" not in self.get_readonly_fields(request, obj) or any(
            "regenerate" in _flat(o["fields"]) for _, o in fieldsets
        ):
            return fieldsets
        return [*fieldsets, ("Generation", {"fields": ("regenerate",)})]

    def regenerate_target(self, obj: Asset) -> Target | None:
        target_type = dag.TARGET.get(obj.kind)
        entity = getattr(obj, target_type) if target_type else None
        if entity is None or obj.drama_id is None:
            return None
        return Target(
            drama=obj.drama,
            target_type=target_type,
            key=entity.key,
            nodes=(obj.kind,),
            label=f"the {NODE_NAMES[obj.kind][0]} of {entity}",
            back_url=reverse("admin:assets_asset_change", args=[obj.pk]),
        )

    @admin.display(description="Regenerate")
    def regenerate(self, obj: Asset) -> str:
        target = self.regenerate_target(obj)
        if target is None:
            return format_html(
                '<span class="quiet">{}</span>',
                "Not made by a drama's run (an upload on its own): nothing to regenerate.",
            )
        return format_html(
            '<a class="button" href="{}">Regenerate this {} and what depends on it…</a>',
            reverse("admin:assets_asset_regenerate", args=[obj.pk]),
            NODE_NAMES[obj.kind][0],
        )


def _flat(fields) -> list[str]:
    return [f for item in fields for f in (item if isinstance(item, list | tuple) else [item])]
