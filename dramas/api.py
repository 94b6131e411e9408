"""The drama API: validate with a serializer, call a service, serialize the result."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from dramaplatform.api import (
    Pagination,
    error_responses,
    etag_for,
    expected_version,
    paginated,
    validated,
    validated_query,
)
from dramas import selectors, services
from dramas.models import Drama
from dramas.serializers import (
    AssetBriefSerializer,
    CharacterPatchInput,
    CharacterSerializer,
    DramaCreateInput,
    DramaPatchInput,
    DramaSerializer,
    DramaSummarySerializer,
    EpisodePatchInput,
    EpisodeSerializer,
    ImproveInput,
    PremiseInput,
    ScenePatchInput,
    SceneSerializer,
)
from generation.models import Job
from generation.selectors import job_children, job_get, job_list
from generation.serializers import (
    JobAcceptedSerializer,
    JobSerializer,
    JobWithChildrenSerializer,
    accepted,
)

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag you read; a stale one is refused with 412.",
)
READ_ERRORS = error_responses(401, 404)
QUERY_ERRORS = error_responses(400, 401, 404)
WRITE_ERRORS = error_responses(400, 401, 404, 412, 413, 415)


class GenerationThrottle(ScopedRateThrottle):
    """Per-key limit on the endpoints that spend provider money; the rate is a setting."""

    scope_attr = "throttle_scope"

    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)


def with_etag(response: Response, drama: Drama) -> Response:
    response["ETag"] = etag_for(drama.version)
    return response


def if_match(request: Request) -> int | None:
    return expected_version(request.headers.get("If-Match"))


class ListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Drama.Status.choices, required=False)
    genre = serializers.CharField(max_length=60, required=False)
    search = serializers.CharField(max_length=200, required=False)


class DramaCollectionView(APIView):
    throttle_scope = "generation"

    def get_throttles(self):
        return [GenerationThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="dramas_list",
        parameters=[ListQuery],
        responses={200: paginated(DramaSummarySerializer), **error_responses(400, 401, 404)},
        description="Your dramas, newest first (staff see all).",
    )
    def get(self, request: Request) -> Response:
        query = validated_query(ListQuery, request)
        dramas = selectors.drama_list(user=request.user, **query)
        paginator = Pagination()
        page = paginator.paginate_queryset(dramas, request, view=self)
        return paginator.get_paginated_response(DramaSummarySerializer(page, many=True).data)

    @extend_schema(
        operation_id="dramas_create",
        request=PolymorphicProxySerializer(
            component_name="DramaCreate",
            serializers=[DramaCreateInput, PremiseInput],
            resource_type_field_name=None,
        ),
        responses={
            201: OpenApiResponse(DramaSerializer, description="A whole drama, created at once."),
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
            drama = services.drama_create(
                owner=request.user, data=validated(DramaCreateInput, data)
            )
            drama = selectors.drama_get(user=request.user, public_id=drama.public_id)
            return with_etag(Response(DramaSerializer(drama).data, status=201), drama)
        options = validated(PremiseInput, data)
        drama, job = services.drama_create_from_premise(owner=request.user, options=options)
        message = "The script is being written; follow the job for its progress."
        return Response(JobAcceptedSerializer(accepted(job, message)).data, status=202)


class DramaDetailView(APIView):
    @extend_schema(responses={200: DramaSerializer, **READ_ERRORS})
    def get(self, request: Request, drama_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id)
        return with_etag(Response(DramaSerializer(drama).data), drama)

    @extend_schema(
        request=DramaPatchInput,
        parameters=[IF_MATCH],
        responses={200: DramaSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, drama_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        data = validated(DramaPatchInput, request.data)
        services.drama_update(drama=drama, data=data, expected_version=if_match(request))
        drama = selectors.drama_get(user=request.user, public_id=drama_id)
        return with_etag(Response(DramaSerializer(drama).data), drama)

    @extend_schema(
        parameters=[IF_MATCH],
        responses={204: None, **error_responses(401, 404, 412)},
        description="Deletes the drama, its jobs, its assets and their files.",
    )
    def delete(self, request: Request, drama_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        services.drama_delete(drama=drama, expected_version=if_match(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


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
        services.require_script(drama=drama)
        job = services.drama_request_improve(drama=drama, feedback=data["feedback"])
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
        services.require_script(drama=drama)
        job = services.drama_request_critique(drama=drama)
        message = "The script is being critiqued; the job's result will be the critique."
        return Response(JobAcceptedSerializer(accepted(job, message)).data, status=202)


# ---------------------------------------------------------------- nested resources
class CharacterListView(APIView):
    @extend_schema(responses={200: CharacterSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request, drama_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        characters = selectors.character_list(drama=drama)
        return with_etag(Response(CharacterSerializer(characters, many=True).data), drama)


class CharacterDetailView(APIView):
    @extend_schema(responses={200: CharacterSerializer, **READ_ERRORS})
    def get(self, request: Request, drama_id: str, character_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        character = selectors.character_get(drama=drama, key=character_id)
        return with_etag(Response(CharacterSerializer(character).data), drama)

    @extend_schema(
        request=CharacterPatchInput,
        parameters=[IF_MATCH],
        responses={200: CharacterSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, drama_id: str, character_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        character = selectors.character_get(drama=drama, key=character_id)
        data = validated(CharacterPatchInput, request.data)
        services.character_update(
            character=character, data=data, expected_version=if_match(request)
        )
        character = selectors.character_get(drama=drama, key=character_id)
        return with_etag(Response(CharacterSerializer(character).data), character.drama)


class EpisodeListView(APIView):
    @extend_schema(responses={200: EpisodeSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request, drama_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        episodes = selectors.episode_list(drama=drama)
        return with_etag(Response(EpisodeSerializer(episodes, many=True).data), drama)


class EpisodeDetailView(APIView):
    @extend_schema(responses={200: EpisodeSerializer, **READ_ERRORS})
    def get(self, request: Request, drama_id: str, episode_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        episode = selectors.episode_get(drama=drama, key=episode_id)
        return with_etag(Response(EpisodeSerializer(episode).data), drama)

    @extend_schema(
        request=EpisodePatchInput,
        parameters=[IF_MATCH],
        responses={200: EpisodeSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, drama_id: str, episode_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        episode = selectors.episode_get(drama=drama, key=episode_id)
        data = validated(EpisodePatchInput, request.data)
        services.episode_update(episode=episode, data=data, expected_version=if_match(request))
        episode = selectors.episode_get(drama=drama, key=episode_id)
        return with_etag(Response(EpisodeSerializer(episode).data), episode.drama)


def scene_of(request: Request, drama_id: str, episode_id: str, scene_id: str):
    drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
    episode = selectors.episode_get(drama=drama, key=episode_id)
    return drama, selectors.scene_get(episode=episode, key=scene_id)


class SceneListView(APIView):
    @extend_schema(responses={200: SceneSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request, drama_id: str, episode_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        episode = selectors.episode_get(drama=drama, key=episode_id)
        scenes = selectors.scene_list(episode=episode)
        return with_etag(Response(SceneSerializer(scenes, many=True).data), drama)


class SceneDetailView(APIView):
    @extend_schema(responses={200: SceneSerializer, **READ_ERRORS})
    def get(self, request: Request, drama_id: str, episode_id: str, scene_id: str) -> Response:
        drama, scene = scene_of(request, drama_id, episode_id, scene_id)
        return with_etag(Response(SceneSerializer(scene).data), drama)

    @extend_schema(
        request=ScenePatchInput,
        parameters=[IF_MATCH],
        responses={200: SceneSerializer, **WRITE_ERRORS},
        description="`characters` and `dialogue`, when sent, replace the scene's lists.",
    )
    def patch(self, request: Request, drama_id: str, episode_id: str, scene_id: str) -> Response:
        drama, scene = scene_of(request, drama_id, episode_id, scene_id)
        data = validated(ScenePatchInput, request.data)
        services.scene_update(scene=scene, data=data, expected_version=if_match(request))
        drama, scene = scene_of(request, drama_id, episode_id, scene_id)
        return with_etag(Response(SceneSerializer(scene).data), drama)


class AssetQuery(serializers.Serializer):
    versions = serializers.BooleanField(
        required=False, default=False, help_text="Include earlier versions, not just current."
    )


class SceneAssetListView(APIView):
    @extend_schema(
        parameters=[AssetQuery],
        responses={200: AssetBriefSerializer(many=True), **QUERY_ERRORS},
    )
    def get(self, request: Request, drama_id: str, episode_id: str, scene_id: str) -> Response:
        _, scene = scene_of(request, drama_id, episode_id, scene_id)
        query = validated_query(AssetQuery, request)
        assets = selectors.scene_assets(scene=scene, include_versions=query["versions"])
        return Response(AssetBriefSerializer(assets, many=True).data)


class SceneAssetDetailView(APIView):
    @extend_schema(responses={200: AssetBriefSerializer, **READ_ERRORS})
    def get(
        self, request: Request, drama_id: str, episode_id: str, scene_id: str, asset_id: str
    ) -> Response:
        _, scene = scene_of(request, drama_id, episode_id, scene_id)
        asset = (
            selectors.scene_assets(scene=scene, include_versions=True)
            .filter(public_id=asset_id)
            .first()
        )
        if asset is None:
            raise NotFound(f"No asset with id '{asset_id}' in this scene.")
        return Response(AssetBriefSerializer(asset).data)


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
    )
    def get(self, request: Request, drama_id: str, job_id: str) -> Response:
        drama = selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
        query = validated_query(JobDetailQuery, request)
        job = job_get(drama=drama, public_id=job_id)
        context = {"children": job_children(job=job) if query["children"] else None}
        return Response(JobWithChildrenSerializer(job, context=context).data)
