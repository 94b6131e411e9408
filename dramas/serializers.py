"""Input and output shapes of the drama API (snake_case here; camelCase on the wire)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from dramaplatform.errors import InvalidInput
from dramaplatform.fields import StrictCharField, StrictIntegerField
from dramas.models import (
    MAX_CHARACTERS,
    MAX_EPISODES,
    MAX_LINES_PER_SCENE,
    MAX_SCENES_PER_EPISODE,
    Character,
    Drama,
    Episode,
    Scene,
)
from dramas.script import normalise_script
from dramas.voices import NAMES, voice_named

id_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$",
    "Use 1 to 40 letters, digits, '_' or '-', starting with a letter or digit.",
)
MAX_CHARACTERS_PER_SCENE = 12


def entity_id_field(**kwargs) -> serializers.CharField:
    return StrictCharField(max_length=40, validators=[id_validator], **kwargs)


class VoiceField(StrictCharField):
    """A voice of the catalogue (dramas.voices), by name in any case; answered as named there."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text",
            "The voice the character's lines are spoken in: one of " + ", ".join(NAMES) + ". "
            "Chosen from the character when omitted.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        voice = voice_named(text)
        if voice is None:
            raise serializers.ValidationError(
                f"'{text[:40]}' is not a voice of the catalogue; use one of {', '.join(NAMES)}."
            )
        return voice.name


# ---------------------------------------------------------------- script input (create, improve)
class DialogueLineInput(serializers.Serializer):
    character = entity_id_field(help_text="The id of a character of this drama.")
    line = StrictCharField(max_length=2000)


class SceneFieldsInput(serializers.Serializer):
    title = StrictCharField(max_length=200, required=False, allow_blank=True)
    location = StrictCharField(max_length=200, required=False, allow_blank=True)
    time_of_day = StrictCharField(max_length=40, required=False, allow_blank=True)
    description = StrictCharField(max_length=5000, required=False, allow_blank=True)
    visual_prompt = StrictCharField(max_length=5000, required=False, allow_blank=True)
    characters = serializers.ListField(
        child=entity_id_field(),
        max_length=MAX_CHARACTERS_PER_SCENE,
        required=False,
        help_text="Ids of the characters who appear in the scene.",
    )
    dialogue = DialogueLineInput(many=True, required=False, max_length=MAX_LINES_PER_SCENE)
    target_duration = StrictIntegerField(min_value=1, max_value=60, required=False)


class SceneInput(SceneFieldsInput):
    id = entity_id_field(required=False, help_text="Assigned when omitted.")


class EpisodeInput(serializers.Serializer):
    id = entity_id_field(required=False, help_text="Assigned when omitted.")
    title = StrictCharField(max_length=200)
    synopsis = StrictCharField(max_length=5000, required=False, allow_blank=True)
    scenes = SceneInput(many=True, required=False, max_length=MAX_SCENES_PER_EPISODE)


class CharacterInput(serializers.Serializer):
    id = entity_id_field(required=False, help_text="Assigned when omitted.")
    name = StrictCharField(max_length=120)
    role = StrictCharField(max_length=60, required=False, allow_blank=True)
    description = StrictCharField(max_length=5000, required=False, allow_blank=True)
    appearance = StrictCharField(max_length=5000, required=False, allow_blank=True)
    voice = VoiceField(required=False)


class DramaCreateInput(serializers.Serializer):
    """A whole drama, written at once."""

    title = StrictCharField(max_length=200)
    premise = StrictCharField(max_length=2000, required=False, allow_blank=True)
    logline = StrictCharField(max_length=2000, required=False, allow_blank=True)
    genre = StrictCharField(max_length=60, required=False, allow_blank=True)
    tone = StrictCharField(max_length=60, required=False, allow_blank=True)
    characters = CharacterInput(many=True, max_length=MAX_CHARACTERS)
    episodes = EpisodeInput(many=True, max_length=MAX_EPISODES)

    def validate(self, attrs: dict) -> dict:
        try:
            return normalise_script(attrs)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.details) from None


class PremiseInput(serializers.Serializer):
    """A premise: the script is written in the background."""

    premise = StrictCharField(max_length=2000)
    genre = StrictCharField(max_length=60, required=False, allow_blank=True, default="")
    tone = StrictCharField(max_length=60, required=False, allow_blank=True, default="")
    episode_count = StrictIntegerField(min_value=1, max_value=20, default=3)
    character_count = StrictIntegerField(min_value=1, max_value=12, default=4)
    scenes_per_episode = StrictIntegerField(min_value=1, max_value=12, default=3)


class DramaPatchInput(serializers.Serializer):
    title = StrictCharField(max_length=200, required=False)
    premise = StrictCharField(max_length=2000, required=False, allow_blank=True)
    logline = StrictCharField(max_length=2000, required=False, allow_blank=True)
    genre = StrictCharField(max_length=60, required=False, allow_blank=True)
    tone = StrictCharField(max_length=60, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs


class CharacterPatchInput(serializers.Serializer):
    name = StrictCharField(max_length=120, required=False)
    role = StrictCharField(max_length=60, required=False, allow_blank=True)
    description = StrictCharField(max_length=5000, required=False, allow_blank=True)
    appearance = StrictCharField(max_length=5000, required=False, allow_blank=True)
    voice = VoiceField(required=False)

    validate = DramaPatchInput.validate


class EpisodePatchInput(serializers.Serializer):
    title = StrictCharField(max_length=200, required=False)
    synopsis = StrictCharField(max_length=5000, required=False, allow_blank=True)

    validate = DramaPatchInput.validate


class ScenePatchInput(SceneFieldsInput):
    validate = DramaPatchInput.validate


class ImproveInput(serializers.Serializer):
    feedback = StrictCharField(max_length=5000)


# ---------------------------------------------------------------- output
# The script alone; the API answers with these and each entity's current media (assets/).
class CharacterSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="key")

    class Meta:
        model = Character
        fields = ["id", "name", "role", "description", "appearance", "voice", "order"]


class DialogueLineSerializer(serializers.Serializer):
    character = serializers.CharField(source="character.key")
    line = serializers.CharField()


class SceneSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="key")
    episode = serializers.CharField(source="episode.key")
    characters = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True)
    dialogue = DialogueLineSerializer(many=True)

    class Meta:
        model = Scene
        fields = [
            "id",
            "episode",
            "number",
            "title",
            "location",
            "time_of_day",
            "description",
            "visual_prompt",
            "characters",
            "dialogue",
            "target_duration",
        ]


class EpisodeSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="key")

    class Meta:
        model = Episode
        fields = ["id", "number", "title", "synopsis"]


class EpisodeWithScenesSerializer(EpisodeSerializer):
    scenes = SceneSerializer(many=True)

    class Meta(EpisodeSerializer.Meta):
        fields = [*EpisodeSerializer.Meta.fields, "scenes"]


class CritiqueIssueSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.ChoiceField(choices=["major", "minor"])
    message = serializers.CharField()
    refs = serializers.ListField(child=serializers.CharField())


class CritiqueSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    summary = serializers.CharField()
    issues = CritiqueIssueSerializer(many=True)
    provider = serializers.CharField()


class DramaSummarySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    character_count = serializers.IntegerField()
    episode_count = serializers.IntegerField()

    class Meta:
        model = Drama
        fields = [
            "id",
            "title",
            "logline",
            "genre",
            "tone",
            "status",
            "version",
            "character_count",
            "episode_count",
            "created_at",
            "updated_at",
        ]


class DramaSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    characters = CharacterSerializer(many=True)
    episodes = EpisodeWithScenesSerializer(many=True)
    critique = CritiqueSerializer(allow_null=True)

    class Meta:
        model = Drama
        fields = [
            "id",
            "title",
            "premise",
            "logline",
            "genre",
            "tone",
            "status",
            "version",
            "critique",
            "characters",
            "episodes",
            "created_at",
            "updated_at",
        ]
