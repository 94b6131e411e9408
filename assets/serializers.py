from __future__ import annotations

import json

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from assets.models import OWN_MEDIA_KINDS, Asset
from assets.storage import public_url
from dramaplatform.fields import StrictCharField
from dramas.serializers import (
    CharacterSerializer,
    DramaSerializer,
    EpisodeSerializer,
    EpisodeWithScenesSerializer,
    SceneSerializer,
)

OWN_MEDIA_KIND_CHOICES = list(OWN_MEDIA_KINDS.values())
# Kept by the product itself: where the asset came from, which job or upload made it.
RESERVED_METADATA = {"source", "jobId", "promptEdited", "uploadId"}


class AssetSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    key = serializers.CharField(source="file.name")
    url = serializers.SerializerMethodField(
        help_text="Where to fetch the file now, without a key (in an <img> or <video> tag): a "
        "signed URL that expires (MEDIA_URL_SECONDS on local files, SIGNED_URL_SECONDS on "
        "object storage)."
    )
    download_url = serializers.SerializerMethodField(
        help_text="The API path that serves (or redirects to) the file."
    )
    public_url = serializers.SerializerMethodField()
    owner_id = serializers.IntegerField()
    drama_id = serializers.SerializerMethodField()
    job_id = serializers.SerializerMethodField()
    reviewed_by = serializers.SerializerMethodField()
    metadata = serializers.DictField()
    parameters = serializers.DictField()

    class Meta:
        model = Asset
        fields = [
            "id", "kind", "media_type", "content_type", "size_bytes", "sha256", "filename",
            "key", "url", "download_url", "public_url", "owner_id", "project", "drama_id",
            "job_id", "tag", "version", "is_current", "review_status", "reviewed_by",
            "reviewed_at", "review_reason", "prompt", "provider", "model", "parameters",
            "fingerprint", "metadata", "created_at",
        ]  # fmt: skip

    def get_url(self, asset: Asset) -> str:
        return asset.file.url

    def get_download_url(self, asset: Asset) -> str:
        return f"/asset-library/{asset.public_id}"

    def get_public_url(self, asset: Asset) -> str:
        return public_url(asset)

    def get_drama_id(self, asset: Asset) -> str | None:
        return asset.drama.public_id if asset.drama_id else None

    def get_job_id(self, asset: Asset) -> str | None:
        return asset.job.public_id if asset.job_id else None

    def get_reviewed_by(self, asset: Asset) -> str | None:
        return asset.reviewed_by.get_username() if asset.reviewed_by_id else None


# Not `AssetMetadata`: client generators name the model of `Asset.metadata` (a free-form
# object) that way, and a component of the same name makes them drop `Asset` altogether.
@extend_schema_serializer(component_name="AssetRecord")
class AssetMetadataSerializer(serializers.Serializer):
    """An asset, its sidecar as stored beside the file, and every version of its slot."""

    asset = AssetSerializer()
    sidecar = serializers.DictField(help_text="The `{assetId}_metadata.json` beside the file.")
    versions = AssetSerializer(many=True)


class OwnMediaTarget(serializers.Serializer):
    """Where a client's own image goes: a character's portrait or a scene's storyboard."""

    drama_id = StrictCharField(max_length=40, required=False, help_text="The drama of the target.")
    character_id = StrictCharField(
        max_length=40, required=False, help_text="The character whose portrait the image becomes."
    )
    episode_id = StrictCharField(
        max_length=40, required=False, help_text="With `sceneId`: the scene's episode."
    )
    scene_id = StrictCharField(
        max_length=40, required=False, help_text="The scene whose storyboard the image becomes."
    )
    kind = serializers.ChoiceField(
        choices=OWN_MEDIA_KIND_CHOICES,
        required=False,
        help_text="`portrait` for a character, `storyboard` for a scene; follows from the "
        "target when left out.",
    )
    target_required = True

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        errors: dict[str, list[str]] = {}
        drama, character = attrs.get("drama_id"), attrs.get("character_id")
        episode, scene, kind = attrs.get("episode_id"), attrs.get("scene_id"), attrs.get("kind")
        named = bool(character or episode or scene)
        if not drama and (named or kind or self.target_required):
            errors["drama_id"] = ["Name the drama of the character or scene."]
        elif drama and not named:
            errors["character_id"] = [
                "Name the character (for a portrait), or the episode and scene (for a storyboard)."
            ]
        if character and (episode or scene):
            errors["character_id"] = ["Name a character or a scene, not both."]
        elif bool(episode) != bool(scene):
            missing = "scene_id" if episode else "episode_id"
            errors[missing] = ["A scene is named by its episodeId and its sceneId together."]
        wanted = Asset.Kind.PORTRAIT if character else Asset.Kind.STORYBOARD if scene else None
        if kind and wanted and kind != wanted:
            errors["kind"] = [
                f"A {kind} belongs to a {'character' if kind == Asset.Kind.PORTRAIT else 'scene'}; "
                f"this target takes a {wanted}."
            ]
        if errors:
            raise serializers.ValidationError(errors)
        if wanted:
            attrs["kind"] = wanted
        return attrs


class UploadInput(OwnMediaTarget):
    """A file for the asset library; with a target, a character's portrait or a scene's
    storyboard instead."""

    file = serializers.FileField(allow_empty_file=False)
    type = serializers.ChoiceField(choices=Asset.MediaType.choices, required=False)
    tag = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    project = StrictCharField(
        max_length=63,
        required=False,
        default="uploads",
        help_text="Where a library upload is kept; not with a target (kept under the drama).",
    )
    metadata = StrictCharField(
        required=False, max_length=10_000, help_text="A JSON object, as text."
    )
    target_required = False

    def validate_metadata(self, value: str) -> dict:
        try:
            parsed = json.loads(value)
        except ValueError:
            raise serializers.ValidationError("Must be a JSON object.") from None
        if not isinstance(parsed, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return parsed

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs.get("drama_id") and "project" in self.initial_data:
            raise serializers.ValidationError(
                {"project": ["An image for a character or scene is kept under its drama."]}
            )
        return attrs


class AttachInput(OwnMediaTarget):
    """The character or scene whose portrait or storyboard the upload becomes."""


class AssetListQuery(serializers.Serializer):
    type = serializers.ChoiceField(choices=Asset.MediaType.choices, required=False)
    kind = serializers.ChoiceField(choices=Asset.Kind.choices, required=False)
    tag = serializers.CharField(max_length=100, required=False)
    project = serializers.CharField(max_length=100, required=False)
    review_status = serializers.ChoiceField(choices=Asset.Review.choices, required=False)
    current = serializers.BooleanField(required=False, allow_null=True, default=None)


class AssetPatchInput(serializers.Serializer):
    prompt = StrictCharField(
        max_length=8000, required=False, help_text="The prompt the node makes from now on."
    )
    tag = StrictCharField(max_length=100, required=False, allow_blank=True)
    metadata = serializers.DictField(
        required=False, help_text="Merged into the asset's metadata; null removes a key."
    )

    def validate_metadata(self, value: dict) -> dict:
        reserved = sorted(set(value) & RESERVED_METADATA)
        if reserved:
            raise serializers.ValidationError(f"{', '.join(reserved)} cannot be set by a client.")
        if len(json.dumps(value)) > 10_000:
            raise serializers.ValidationError("At most 10,000 characters of JSON.")
        return value

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Send at least one of prompt, tag, metadata.")
        return attrs


class RejectInput(serializers.Serializer):
    reason = StrictCharField(max_length=2000)


class ApproveInput(serializers.Serializer):
    reason = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


# ---------------------------------------------------------------- the script with its media
# An entity's current assets beside its script fields. The schema keeps the entities' names
# (`Character`, `Scene`, …): these are the only shapes the API answers with.
class AssetBriefSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Asset
        fields = [
            "id", "kind", "media_type", "url", "content_type", "size_bytes", "version",
            "is_current", "review_status", "review_reason", "provider", "model", "prompt", "tag",
            "metadata", "created_at",
        ]  # fmt: skip

    def get_url(self, asset: Asset) -> str | None:
        return asset.file.url if asset.file else None


def _current_assets() -> AssetBriefSerializer:
    # Filled by assets.selectors.with_current_assets.
    return AssetBriefSerializer(many=True, source="current_assets")


@extend_schema_serializer(component_name="Character")
class CharacterWithAssetsSerializer(CharacterSerializer):
    assets = _current_assets()

    class Meta(CharacterSerializer.Meta):
        fields = [*CharacterSerializer.Meta.fields, "assets"]


@extend_schema_serializer(component_name="Scene")
class SceneWithAssetsSerializer(SceneSerializer):
    assets = _current_assets()

    class Meta(SceneSerializer.Meta):
        fields = [*SceneSerializer.Meta.fields, "assets"]


@extend_schema_serializer(component_name="Episode")
class EpisodeWithAssetsSerializer(EpisodeSerializer):
    assets = _current_assets()

    class Meta(EpisodeSerializer.Meta):
        fields = [*EpisodeSerializer.Meta.fields, "assets"]


@extend_schema_serializer(component_name="EpisodeWithScenes")
class EpisodeWithScenesAndAssetsSerializer(EpisodeWithScenesSerializer):
    assets = _current_assets()
    scenes = SceneWithAssetsSerializer(many=True)

    class Meta(EpisodeWithScenesSerializer.Meta):
        fields = [*EpisodeSerializer.Meta.fields, "assets", "scenes"]


@extend_schema_serializer(component_name="Drama")
class DramaWithAssetsSerializer(DramaSerializer):
    characters = CharacterWithAssetsSerializer(many=True)
    episodes = EpisodeWithScenesAndAssetsSerializer(many=True)
