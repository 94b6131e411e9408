"""The endpoints that start or steer background work: a drama from a premise, improve,
critique, the four `generate` scopes with their dry run, and the jobs (read, cancel, retry)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.selectors import drama_with_assets
from assets.serializers import DramaWithAssetsSerializer
from dramaplatform.api import (
    Pagination,
    error_responses,
    paginated,
    validated,
    validated_query,
)
from dramaplatform.errors import Conflict, DomainError
from dramas import selectors
from dramas.api import DramaListView, GenerationThrottle, with_etag
from dramas.serializers import DramaCreateInput, ImproveInput, PremiseInput
from dramas.services import drama_create
from generation import dag, runs, script_jobs
from generation.models import Job
from generation.selectors import job_children, job_get, job_list, run_progress
from generation.serializers import (
    GenerateInput,
    JobAcceptedSerializer,
    JobSerializer,
    JobWithChildrenSerializer,
    PlanSerializer,
    accepted,
)

QUERY_ERRORS = error_responses(400, 401, 404)


class DramaCollectionView(DramaListView):
    throttle_scope = "generation"

    def get_throttles(self):
        return [GenerationThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="dramas_create",
        request=PolymorphicProxySerializer(
            component_name="DramaCreate",
            serializers=[DramaCreateInput, PremiseInput],
            resource_type_field_name=None,
        ),
        responses={
            201: OpenApiResponse(
                DramaWithAssetsSerializer, description="A whole drama, created at once."
            ),
            202: OpenApiResponse(
                JobAcceptedSerializer, description="A premise: the script is being written."
            ),
            **error_responses(400, 401, 413, 415, 429),
        },
        description=(
            "With `characters` and `episodes` in the body, creates the whole drama at once "
            "(201). With only a `premise` (and options), queues a job that writes the script "
            "(202)."
        ),
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, dict) and ("characters" in data or "episodes" in data):
            drama = drama_create(owner=request.user, data=validated(DramaCreateInput, data))
            drama = drama_with_assets(user=request.user, public_id=drama.public_id)
            return with_etag(Response(DramaWithAssetsSerializer(drama).data, status=201), drama)
        options = validated(PremiseInput, data)
        drama, job = script_jobs.drama_create_from_premise(owner=request.user, options=options)
        message = "The script is being written; follow the job for its progress."
        return Response(JobAcceptedSerializer(accepted(job, message)).data, status=202)


class DramaImproveView(APIView):
    throttle_classes = [GenerationThrottle]
    throttle_scope = "generation"

    @extend_schema(
        request=ImproveInput,
        responses={
            202: JobAcceptedSerializer,
            **error_responses(400, 401, 404, 409, 413, 415, 429),
        },
        description="Rewrites the script from feedback in the background. If the drama is "
        "edited while the job runs, the job fails with a conflict and nothing is overwritten.",
    )
    def post(self, request: Request, drama_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        data = validated(ImproveInput, request.data)
        job = script_jobs.drama_request_improve(drama=drama, feedback=data["feedback"])
        message = "The script is being improved; follow the job for its progress."
        return Response(JobAcceptedSerializer(accepted(job, message)).data, status=202)


class DramaCritiqueView(APIView):
    throttle_classes = [GenerationThrottle]
    throttle_scope = "generation"

    @extend_schema(
        request=None,
        responses={202: JobAcceptedSerializer, **error_responses(401, 404, 409, 429)},
        description="Critiques the script in the background; the job's result is the "
        "critique, which is also kept on the drama.",
    )
    def post(self, request: Request, drama_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        job = script_jobs.drama_request_critique(drama=drama)
        message = "The script is being critiqued; the job's result will be the critique."
        return Response(JobAcceptedSerializer(accepted(job, message)).data, status=202)


# ---------------------------------------------------------------- generate
class GenerateView(APIView):
    """POST …/generate: 202 with the run; with `dryRun`, 200 with the plan and its cost."""

    throttle_classes = [GenerationThrottle]
    throttle_scope = "generation"
    scope = "drama"

    def target(self, request: Request, drama, **kwargs) -> str | None:
        return None

    def post(self, request: Request, drama_id: str, **kwargs) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        key = self.target(request, drama, **kwargs)
        options = validated(GenerateInput, request.data if request.data else {})
        try:
            if options["dry_run"]:
                plan = dag.plan(drama, scope=self.scope, key=key, kinds=options.get("kinds"),
                                force=options["force"])  # fmt: skip
                return Response(PlanSerializer(runs.plan_summary(plan)).data)
            run = runs.run_start(drama=drama, scope=self.scope, key=key,
                                 kinds=options.get("kinds"), force=options["force"])  # fmt: skip
        except dag.PlanError as exc:
            raise DomainError(str(exc)) from None
        run = job_get(drama=drama, public_id=run.public_id)
        return Response(JobSerializer(run).data, status=202)


def _generate_schema(what: str):
    return extend_schema(
        request=GenerateInput,
        responses={
            200: OpenApiResponse(PlanSerializer, description="`dryRun`: the plan and its cost."),
            202: OpenApiResponse(JobSerializer, description="The run, started."),
            **error_responses(400, 401, 404, 409, 413, 415, 429),
        },
        description=f"Makes the media of {what}, and whatever it waits for that is not made "
        "yet. Nodes whose current asset matches their inputs are kept (no provider call) "
        "unless `force`. 409 while another run of the drama is in progress.",
    )


class DramaGenerateView(GenerateView):
    @_generate_schema("the whole drama")
    def post(self, request: Request, drama_id: str) -> Response:
        return super().post(request, drama_id)


class EpisodeGenerateView(GenerateView):
    scope = "episode"

    def target(self, request, drama, *, episode_id: str) -> str:
        return selectors.episode_get(drama=drama, key=episode_id).key

    @_generate_schema("one episode (its storyboards, clips and cut)")
    def post(self, request: Request, drama_id: str, episode_id: str) -> Response:
        return super().post(request, drama_id, episode_id=episode_id)


class CharacterGenerateView(GenerateView):
    scope = "character"

    def target(self, request, drama, *, character_id: str) -> str:
        return selectors.character_get(drama=drama, key=character_id).key

    @_generate_schema("one character (portrait, then audition)")
    def post(self, request: Request, drama_id: str, character_id: str) -> Response:
        return super().post(request, drama_id, character_id=character_id)


class SceneGenerateView(GenerateView):
    scope = "scene"

    def target(self, request, drama, *, episode_id: str, scene_id: str) -> str:
        episode = selectors.episode_get(drama=drama, key=episode_id)
        return selectors.scene_get(episode=episode, key=scene_id).key

    @_generate_schema("one scene (storyboard, then clip)")
    def post(self, request: Request, drama_id: str, episode_id: str, scene_id: str) -> Response:
        return super().post(request, drama_id, episode_id=episode_id, scene_id=scene_id)


# ---------------------------------------------------------------- jobs
class JobQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Job.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Job.Kind.choices, required=False)


class JobListView(APIView):
    @extend_schema(
        operation_id="dramas_jobs_list",
        parameters=[JobQuery],
        responses={200: paginated(JobSerializer), **QUERY_ERRORS},
    )
    def get(self, request: Request, drama_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        query = validated_query(JobQuery, request)
        paginator = Pagination()
        page = paginator.paginate_queryset(job_list(drama=drama, **query), request, view=self)
        return paginator.get_paginated_response(JobSerializer(page, many=True).data)


class JobDetailQuery(serializers.Serializer):
    children = serializers.BooleanField(
        required=False, default=False, help_text="Include the child jobs."
    )


class JobDetailView(APIView):
    @extend_schema(
        parameters=[JobDetailQuery],
        responses={200: JobWithChildrenSerializer, **QUERY_ERRORS},
        description="A job; for a run, the counts of its nodes by status, its progress "
        "(percent, nodes in flight, cost so far, time left) and, on request, the nodes.",
    )
    def get(self, request: Request, drama_id: str, job_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        query = validated_query(JobDetailQuery, request)
        job = job_get(drama=drama, public_id=job_id)
        context = {
            "children": job_children(job=job) if query["children"] else None,
            "progress": run_progress(job=job),
        }
        return Response(JobWithChildrenSerializer(job, context=context).data)


class JobCancelView(APIView):
    @extend_schema(
        request=None,
        responses={200: JobSerializer, **error_responses(401, 404, 409)},
        description="Cancels a run in progress: nodes not started are cancelled, renders in "
        "flight are cancelled at the service where it can, work in a worker is abandoned.",
    )
    def post(self, request: Request, drama_id: str, job_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        run = _run_of(drama, job_id)
        runs.run_cancel(run=run)
        return Response(JobSerializer(job_get(drama=drama, public_id=job_id)).data)


class JobRetryView(APIView):
    throttle_classes = [GenerationThrottle]
    throttle_scope = "generation"

    @extend_schema(
        request=None,
        responses={202: JobSerializer, **error_responses(401, 404, 409, 429)},
        description="Runs a finished run's failed, skipped and cancelled nodes again; its "
        "completed nodes are kept. A node whose submit had an unknown outcome is submitted "
        "again: only this explicit retry does that.",
    )
    def post(self, request: Request, drama_id: str, job_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        run = _run_of(drama, job_id)
        runs.run_retry(run=run)
        return Response(JobSerializer(job_get(drama=drama, public_id=job_id)).data, status=202)


def _run_of(drama, job_id: str) -> Job:
    job = job_get(drama=drama, public_id=job_id)
    if job.kind != Job.Kind.DAG:
        raise Conflict(f"{job_id} is a {job.kind} job, not a generation run.")
    return job
