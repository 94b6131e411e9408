"""The drama API: validate with a serializer, call a service, serialize the result."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers, status
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
    CharacterPatchInput,
    CharacterSerializer,
    DramaPatchInput,
    DramaSerializer,
    DramaSummarySerializer,
    EpisodePatchInput,
    EpisodeSerializer,
    ScenePatchInput,
    SceneSerializer,
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


class DramaListView(APIView):
    """GET /dramas; generation's view of the same URL adds the POST that can start a job."""

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
