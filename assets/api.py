"""The asset library API: list, upload, download, delete, metadata, versions, moderation,
and a client's own images attached as portraits and storyboards."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpResponseRedirect, QueryDict
from djangorestframework_camel_case.util import underscoreize
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import selectors, services
from assets.detect import NAME_EXTENSIONS
from assets.serializers import (
    ApproveInput,
    AssetBriefSerializer,
    AssetListQuery,
    AssetMetadataSerializer,
    AssetPatchInput,
    AssetSerializer,
    AttachInput,
    RejectInput,
    UploadInput,
)
from assets.storage import is_object_storage, read_sidecar, signed_url
from dramaplatform.api import (
    AnyAccept,
    Pagination,
    error_responses,
    paginated,
    validated,
    validated_query,
)
from dramaplatform.errors import NotFound, PayloadTooLarge, PermissionDenied
from dramas import selectors as drama_selectors

# Multipart framing around the file itself; the file alone is held to UPLOAD_MAX_BYTES.
MULTIPART_ALLOWANCE = 64 * 1024


def require_owner(request: Request, asset, action: str) -> None:
    """Moderators may see every asset; only its owner or staff may change it."""
    if asset.owner_id != request.user.pk and not request.user.is_staff:
        raise PermissionDenied(f"Only the owner or staff may {action}.")


class IsModerator(permissions.BasePermission):
    message = "Only moderators may approve or reject assets."

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and selectors.can_moderate(request.user))


class AssetListView(APIView):
    @extend_schema(
        operation_id="asset_library_list",
        parameters=[AssetListQuery],
        responses={200: paginated(AssetSerializer), **error_responses(400, 401)},
        description="Your assets (moderators and staff: all). `reviewStatus=pending_review` "
        "is the review queue, oldest first.",
    )
    def get(self, request: Request) -> Response:
        query = validated_query(AssetListQuery, request)
        assets = selectors.asset_list(
            user=request.user,
            media_type=query.get("type"),
            kind=query.get("kind"),
            tag=query.get("tag"),
            project=query.get("project"),
            review_status=query.get("review_status"),
            current=query.get("current"),
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(assets, request, view=self)
        return paginator.get_paginated_response(AssetSerializer(page, many=True).data)


def _target(request: Request, data: dict):
    """The character or scene the request names, or None."""
    if not data.get("drama_id"):
        return None
    return selectors.own_media_target(
        user=request.user,
        drama_id=data["drama_id"],
        character_id=data.get("character_id", ""),
        episode_id=data.get("episode_id", ""),
        scene_id=data.get("scene_id", ""),
    )


OWN_MEDIA = (
    "A character's portrait or a scene's storyboard of your own: a new current version of "
    "that slot (`metadata.source` is `upload`), which generation keeps without a provider call "
    "while what depends on it (auditions, storyboards, clips, cuts) is made again. Only images; "
    "only for the owner of the drama (or staff)."
)


class AssetUploadView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="asset_library_upload",
        request={"multipart/form-data": UploadInput},
        responses={201: AssetSerializer, **error_responses(400, 401, 403, 404, 413, 415)},
        description="Uploads a file. Its type is found from its bytes; a name or a declared "
        "`type` that contradicts the content is refused with 415, a file that does not decode "
        "(image, video or sound) with 400.\n\n"
        "With `dramaId` and `characterId` (or `episodeId` and `sceneId`) the image goes "
        f"straight to that target instead of the library. {OWN_MEDIA}",
    )
    def post(self, request: Request) -> Response:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.UPLOAD_MAX_BYTES + MULTIPART_ALLOWANCE:
            raise PayloadTooLarge(
                f"The upload is {length} bytes; the limit is {settings.UPLOAD_MAX_BYTES}."
            )
        # Multipart is not camelCase-parsed as JSON is: `dramaId` reads as `drama_id`. A body
        # with no content type at all parses as an empty dict: the file is then missing.
        form = request.data
        fields = underscoreize(form.dict() if isinstance(form, QueryDict) else {})
        data = validated(UploadInput, fields | dict(request.FILES.items()))
        asset = services.asset_upload(
            owner=request.user,
            upload=data["file"],
            declared_type=data.get("type", ""),
            tag=data["tag"],
            project=data["project"],
            metadata=data.get("metadata"),
            target=_target(request, data),
        )
        return Response(AssetSerializer(asset).data, status=201)


class AssetAttachView(APIView):
    @extend_schema(
        operation_id="asset_library_attach",
        request=AttachInput,
        responses={201: AssetSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
        description=f"Attaches one of your uploads to a character or a scene. {OWN_MEDIA} The "
        "upload stays in the library as it is; 409 if the asset is not an upload or was "
        "rejected in review.",
    )
    def post(self, request: Request, asset_id: str) -> Response:
        upload = selectors.asset_get(user=request.user, public_id=asset_id)
        data = validated(AttachInput, request.data)
        asset = services.asset_attach(upload=upload, target=_target(request, data), by=request.user)
        return Response(AssetSerializer(asset).data, status=201)


def _download_body(content_type: str) -> OpenApiTypes | dict:
    """The schema of a file served as `content_type`: its bytes; a string for text and any
    JSON value for JSON, as detect.sniff calls a file text only when it is UTF-8 and JSON only
    when it parses."""
    if content_type == "application/json":
        return {"description": "The JSON file as it was stored: any JSON value."}
    if content_type.startswith("text/"):
        return OpenApiTypes.STR
    return OpenApiTypes.BINARY


# Every type the library stores: uploads and generated media alike are typed by detect.sniff.
# JSON goes last: a generator that reads the body as its first JSON or text type
# (openapi-python-client) then reads text, with the raw bytes at hand, instead of failing to
# parse a picture as JSON.
DOWNLOAD_RESPONSES = {
    (200, content_type): OpenApiResponse(
        _download_body(content_type),
        description="The file itself (local storage), as the type found from its bytes.",
    )
    for content_type in sorted(NAME_EXTENSIONS, key=lambda name: name == "application/json")
}
DOWNLOAD_HEADERS = [
    OpenApiParameter(
        "Location",
        OpenApiTypes.URI,
        location=OpenApiParameter.HEADER,
        response=[302],
        required=True,
        description="A signed URL of the file, valid for `SIGNED_URL_SECONDS`.",
    ),
    OpenApiParameter(
        "Content-Disposition",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200],
        required=True,
        description='`inline; filename="…"`: the name it was uploaded with, or its key\'s.',
    ),
]


class AssetDetailView(APIView):
    # The file whatever the client accepts (an <img> tag's, a player's, `image/png` alone);
    # errors in JSON.
    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="asset_library_download",
        parameters=DOWNLOAD_HEADERS,
        responses={
            **DOWNLOAD_RESPONSES,
            302: OpenApiResponse(
                description="On object storage (S3/R2): a redirect to a short-lived signed URL "
                "of the file, which serves it with its content type."
            ),
            **error_responses(401, 404),
        },
        description="The file: one of the types the library stores, found from its bytes "
        "when it was stored (images, video, audio, UTF-8 text, JSON). Local storage streams "
        "it; object storage answers 302 to a signed URL.",
    )
    def get(self, request: Request, asset_id: str):
        asset = selectors.asset_get(user=request.user, public_id=asset_id)
        name = asset.filename or asset.file.name.rsplit("/", 1)[-1]
        if is_object_storage():
            return HttpResponseRedirect(signed_url(asset, filename=name))
        response = FileResponse(asset.file.open("rb"), content_type=asset.content_type)
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response

    @extend_schema(
        operation_id="asset_library_delete",
        responses={204: None, **error_responses(401, 403, 404)},
        description="Deletes this version and its files; the newest other version becomes current.",
    )
    def delete(self, request: Request, asset_id: str) -> Response:
        asset = selectors.asset_get(user=request.user, public_id=asset_id)
        require_owner(request, asset, "delete an asset")
        services.asset_delete(asset=asset)
        return Response(status=204)


class AssetMetadataView(APIView):
    @extend_schema(
        operation_id="asset_library_metadata",
        responses={200: AssetMetadataSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, asset_id: str) -> Response:
        asset = selectors.asset_get(user=request.user, public_id=asset_id)
        body = {
            "asset": asset,
            "sidecar": read_sidecar(asset),
            "versions": selectors.asset_versions(asset=asset),
        }
        return Response(AssetMetadataSerializer(body).data)


class AssetVersionsView(APIView):
    @extend_schema(
        operation_id="asset_library_versions",
        responses={200: AssetSerializer(many=True), **error_responses(401, 404)},
        description="Every version of this asset's slot, newest first.",
    )
    def get(self, request: Request, asset_id: str) -> Response:
        asset = selectors.asset_get(user=request.user, public_id=asset_id)
        return Response(AssetSerializer(selectors.asset_versions(asset=asset), many=True).data)


class AssetMakeCurrentView(APIView):
    @extend_schema(
        operation_id="asset_library_make_current",
        request=None,
        responses={200: AssetSerializer, **error_responses(401, 403, 404)},
        description="Makes this version the current one of its slot (switch back).",
    )
    def post(self, request: Request, asset_id: str) -> Response:
        asset = selectors.asset_get(user=request.user, public_id=asset_id)
        require_owner(request, asset, "switch versions")
        return Response(AssetSerializer(services.asset_make_current(asset=asset)).data)


class AssetApproveView(APIView):
    permission_classes = [IsModerator]

    @extend_schema(
        operation_id="asset_library_approve",
        request=ApproveInput,
        responses={200: AssetSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, asset_id: str) -> Response:
        asset = selectors.asset_get(user=request.user, public_id=asset_id)
        data = validated(ApproveInput, request.data or {})
        asset = services.asset_approve(asset=asset, reviewer=request.user, reason=data["reason"])
        return Response(AssetSerializer(asset).data)


class AssetRejectView(APIView):
    permission_classes = [IsModerator]

    @extend_schema(
        operation_id="asset_library_reject",
        request=RejectInput,
        responses={200: AssetSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, asset_id: str) -> Response:
        asset = selectors.asset_get(user=request.user, public_id=asset_id)
        data = validated(RejectInput, request.data)
        asset = services.asset_reject(asset=asset, reviewer=request.user, reason=data["reason"])
        return Response(AssetSerializer(asset).data)


# ---------------------------------------------------------------- a scene's assets
class SceneAssetQuery(serializers.Serializer):
    versions = serializers.BooleanField(
        required=False, default=False, help_text="Include earlier versions, not just current."
    )


def _scene(request: Request, drama_id: str, episode_id: str, scene_id: str):
    drama = drama_selectors.drama_get(user=request.user, public_id=drama_id, detail=False)
    episode = drama_selectors.episode_get(drama=drama, key=episode_id)
    return drama_selectors.scene_get(episode=episode, key=scene_id)


class SceneAssetListView(APIView):
    @extend_schema(
        parameters=[SceneAssetQuery],
        responses={200: AssetBriefSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def get(self, request: Request, drama_id: str, episode_id: str, scene_id: str) -> Response:
        scene = _scene(request, drama_id, episode_id, scene_id)
        query = validated_query(SceneAssetQuery, request)
        assets = selectors.scene_assets(scene=scene, include_versions=query["versions"])
        return Response(AssetBriefSerializer(assets, many=True).data)


class SceneAssetDetailView(APIView):
    def asset(self, request: Request, drama_id, episode_id, scene_id, asset_id):
        scene = _scene(request, drama_id, episode_id, scene_id)
        asset = (
            selectors.scene_assets(scene=scene, include_versions=True)
            .filter(public_id=asset_id)
            .first()
        )
        if asset is None:
            raise NotFound(f"No asset with id '{asset_id}' in this scene.")
        return asset

    @extend_schema(responses={200: AssetBriefSerializer, **error_responses(401, 404)})
    def get(
        self, request: Request, drama_id: str, episode_id: str, scene_id: str, asset_id: str
    ) -> Response:
        asset = self.asset(request, drama_id, episode_id, scene_id, asset_id)
        return Response(AssetBriefSerializer(asset).data)

    @extend_schema(
        request=AssetPatchInput,
        responses={200: AssetBriefSerializer, **error_responses(400, 401, 403, 404, 413, 415)},
        description="Edits the asset's prompt, tag and metadata. An edited prompt is what the "
        "scene's node makes from now on: the node and what depends on it become stale, and "
        "the next generate makes them again.",
    )
    def patch(
        self, request: Request, drama_id: str, episode_id: str, scene_id: str, asset_id: str
    ) -> Response:
        asset = self.asset(request, drama_id, episode_id, scene_id, asset_id)
        data = validated(AssetPatchInput, request.data)
        require_owner(request, asset, "edit this asset")
        asset = services.asset_edit(asset=asset, data=data)
        return Response(AssetBriefSerializer(asset).data)
