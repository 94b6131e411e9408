"""The script of a drama: characters, episodes, scenes and their dialogue."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dramaplatform.ids import new_drama_id
from dramas.voices import CHOICES as VOICE_CHOICES

# Bounds on a script's size, shared by the API's validation and the script writers.
MAX_CHARACTERS = 30
MAX_EPISODES = 100
MAX_SCENES_PER_EPISODE = 40
MAX_LINES_PER_SCENE = 80


class Drama(models.Model):
    class Status(models.TextChoices):
        WRITING = "writing", "Writing the script"
        READY = "ready", "Script ready"
        FAILED = "failed", "Script failed"
        GENERATING = "generating", "Generating media"
        PRODUCED = "produced", "Media produced"

    public_id = models.CharField(max_length=40, unique=True, default=new_drama_id, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dramas"
    )
    title = models.CharField(max_length=200)
    premise = models.TextField(blank=True)
    logline = models.TextField(blank=True)
    genre = models.CharField(max_length=60, blank=True, db_index=True)
    tone = models.CharField(max_length=60, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.READY, db_index=True
    )
    # Bumped by every write; sent as the ETag and checked against If-Match (optimistic locking).
    version = models.PositiveIntegerField(default=1)
    critique = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return self.title or self.public_id


class Character(models.Model):
    drama = models.ForeignKey(Drama, on_delete=models.CASCADE, related_name="characters")
    key = models.CharField("id", max_length=40, help_text="Unique within the drama: char_001.")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=60, blank=True)
    description = models.TextField(blank=True)
    appearance = models.TextField(blank=True, help_text="The visual prompt for this character.")
    voice = models.CharField(
        max_length=40,
        blank=True,
        choices=VOICE_CHOICES,
        help_text="The voice every line of this character is spoken in: chosen "
        "from the character when first written, kept until changed here.",
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["drama", "key"], name="character_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class Episode(models.Model):
    drama = models.ForeignKey(Drama, on_delete=models.CASCADE, related_name="episodes")
    key = models.CharField("id", max_length=40, help_text="Unique within the drama: ep_01.")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    synopsis = models.TextField(blank=True)

    class Meta:
        ordering = ["number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["drama", "key"], name="episode_key_unique"),
            models.UniqueConstraint(fields=["drama", "number"], name="episode_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Scene(models.Model):
    drama = models.ForeignKey(Drama, on_delete=models.CASCADE, related_name="scenes")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="scenes")
    key = models.CharField("id", max_length=40, help_text="Unique within the drama: sc_01_02.")
    number = models.PositiveIntegerField(help_text="Position within the episode.")
    title = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=200, blank=True)
    time_of_day = models.CharField(max_length=40, blank=True)
    description = models.TextField(blank=True)
    visual_prompt = models.TextField(blank=True)
    characters = models.ManyToManyField(Character, related_name="scenes", blank=True)
    target_duration = models.PositiveIntegerField(default=10, help_text="Seconds.")

    class Meta:
        ordering = ["number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["drama", "key"], name="scene_key_unique"),
            models.UniqueConstraint(fields=["episode", "number"], name="scene_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"


class DialogueLine(models.Model):
    scene = models.ForeignKey(Scene, on_delete=models.CASCADE, related_name="dialogue")
    order = models.PositiveIntegerField()
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="lines")
    line = models.TextField()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.character.name}: {self.line[:40]}"
