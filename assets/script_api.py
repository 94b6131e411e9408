"""The script's endpoints that answer with media: one drama, its characters, episodes and
scenes, each with its current assets.

The script (dramas/) knows nothing of assets, so these are composed here: the writes are the
script's services, the answers add each entity's current assets. Deleting rows of the script
removes their assets' files through the cascade (see assets.apps).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import selectors
from assets.serializers import (
    CharacterWithAssetsSerializer,
    DramaWithAssetsSerializer,
    EpisodeWithAssetsSerializer,
    SceneWithAssetsSerializer,
)
from dramaplatform.api import error_responses, validated
from dramas import selectors as script
from dramas import services as script_services
from dramas.api import IF_MATCH, READ_ERRORS, WRITE_ERRORS, if_match, with_etag
from dramas.models import Drama, Scene
from dramas.serializers import (
    CharacterPatchInput,
    DramaPatchInput,
    EpisodePatchInput,
    ScenePatchInput,
)


def _drama(request: Request, drama_id: str) -> Drama:
    return script.drama_get(user=request.user, public_id=drama_id, detail=False)


class DramaDetailView(APIView):
    @extend_schema(responses={200: DramaWithAssetsSerializer, **READ_ERRORS})
    def get(self, request: Request, drama_id: str) -> Response:
        drama = selectors.drama_with_assets(user=request.user, public_id=drama_id)
        return with_etag(Response(DramaWithAssetsSerializer(drama).data), drama)

    @extend_schema(
        request=DramaPatchInput,
        parameters=[IF_MATCH],
        responses={200: DramaWithAssetsSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, drama_id: str) -> Response:
        drama = _drama(request, drama_id)
        data = validated(DramaPatchInput, request.data)
        script_services.drama_update(drama=drama, data=data, expected_version=if_match(request))
        drama = selectors.drama_with_assets(user=request.user, public_id=drama_id)
        return with_etag(Response(DramaWithAssetsSerializer(drama).data), drama)

    @extend_schema(
        parameters=[IF_MATCH],
        responses={204: None, **error_responses(401, 404, 412)},
        description="Deletes the drama, its jobs, its assets and their files.",
    )
    def delete(self, request: Request, drama_id: str) -> Response:
        drama = _drama(request, drama_id)
        script_services.drama_delete(drama=drama, expected_version=if_match(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- nested resources
class CharacterListView(APIView):
    @extend_schema(responses={200: CharacterWithAssetsSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request, drama_id: str) -> Response:
        drama = _drama(request, drama_id)
        characters = selectors.characters_with_assets(drama=drama)
        body = CharacterWithAssetsSerializer(characters, many=True).data
        return with_etag(Response(body), drama)


class CharacterDetailView(APIView):
    @extend_schema(responses={200: CharacterWithAssetsSerializer, **READ_ERRORS})
    def get(self, request: Request, drama_id: str, character_id: str) -> Response:
        drama = _drama(request, drama_id)
        character = selectors.character_with_assets(drama=drama, key=character_id)
        return with_etag(Response(CharacterWithAssetsSerializer(character).data), drama)

    @extend_schema(
        request=CharacterPatchInput,
        parameters=[IF_MATCH],
        responses={200: CharacterWithAssetsSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, drama_id: str, character_id: str) -> Response:
        drama = _drama(request, drama_id)
        character = script.character_get(drama=drama, key=character_id)
        data = validated(CharacterPatchInput, request.data)
        script_services.character_update(
            character=character, data=data, expected_version=if_match(request)
        )
        character = selectors.character_with_assets(drama=drama, key=character_id)
        return with_etag(Response(CharacterWithAssetsSerializer(character).data), character.drama)


class EpisodeListView(APIView):
    @extend_schema(responses={200: EpisodeWithAssetsSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request, drama_id: str) -> Response:
        drama = _drama(request, drama_id)
        episodes = selectors.episodes_with_assets(drama=drama)
        return with_etag(Response(EpisodeWithAssetsSerializer(episodes, many=True).data), drama)


class EpisodeDetailView(APIView):
    @extend_schema(responses={200: EpisodeWithAssetsSerializer, **READ_ERRORS})
    def get(self, request: Request, drama_id: str, episode_id: str) -> Response:
        drama = _drama(request, drama_id)
        episode = selectors.episode_with_assets(drama=drama, key=episode_id)
        return with_etag(Response(EpisodeWithAssetsSerializer(episode).data), drama)

    @extend_schema(
        request=EpisodePatchInput,
        parameters=[IF_MATCH],
        responses={200: EpisodeWithAssetsSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, drama_id: str, episode_id: str) -> Response:
        drama = _drama(request, drama_id)
        episode = script.episode_get(drama=drama, key=episode_id)
        data = validated(EpisodePatchInput, request.data)
        script_services.episode_update(
            episode=episode, data=data, expected_version=if_match(request)
        )
        episode = selectors.episode_with_assets(drama=drama, key=episode_id)
        return with_etag(Response(EpisodeWithAssetsSerializer(episode).data), episode.drama)


def _scene(request: Request, drama_id: str, episode_id: str, scene_id: str) -> tuple[Drama, Scene]:
    drama = _drama(request, drama_id)
    episode = script.episode_get(drama=drama, key=episode_id)
    return drama, selectors.scene_with_assets(episode=episode, key=scene_id)


class SceneListView(APIView):
    @extend_schema(responses={200: SceneWithAssetsSerializer(many=True), **READ_ERRORS})
    def get(self, request: Request, drama_id: str, episode_id: str) -> Response:
        drama = _drama(request, drama_id)
        episode = script.episode_get(drama=drama, key=episode_id)
        scenes = selectors.scenes_with_assets(episode=episode)
        return with_etag(Response(SceneWithAssetsSerializer(scenes, many=True).data), drama)


class SceneDetailView(APIView):
    @extend_schema(responses={200: SceneWithAssetsSerializer, **READ_ERRORS})
    def get(self, request: Request, drama_id: str, episode_id: str, scene_id: str) -> Response:
        drama, scene = _scene(request, drama_id, episode_id, scene_id)
        return with_etag(Response(SceneWithAssetsSerializer(scene).data), drama)

    @extend_schema(
        request=ScenePatchInput,
        parameters=[IF_MATCH],
        responses={200: SceneWithAssetsSerializer, **WRITE_ERRORS},
        description="`characters` and `dialogue`, when sent, replace the scene's lists.",
    )
    def patch(self, request: Request, drama_id: str, episode_id: str, scene_id: str) -> Response:
        drama = _drama(request, drama_id)
        episode = script.episode_get(drama=drama, key=episode_id)
        scene = script.scene_get(episode=episode, key=scene_id)
        data = validated(ScenePatchInput, request.data)
        script_services.scene_update(scene=scene, data=data, expected_version=if_match(request))
        drama, scene = _scene(request, drama_id, episode_id, scene_id)
        return with_etag(Response(SceneWithAssetsSerializer(scene).data), drama)
