"""Media files: generated portraits, clips and cuts, and uploads, with versions and review."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dramaplatform.ids import new_asset_id


def asset_storage_key(asset: Asset, filename: str) -> str:
    """`{user_id}/{project}/assets/{asset_id}.{ext}`: never built from what a client sent.

    `filename` here is the name the service gave the content (`{asset_id}.{ext}`, the extension
    from the detected type), not the client's.
    """
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{asset.owner_id}/{asset.project}/assets/{asset.public_id}.{ext}"


def sidecar_key(file_key: str) -> str:
    """`…/assets/{asset_id}_metadata.json` beside `…/assets/{asset_id}.{ext}`."""
    stem = file_key.rsplit(".", 1)[0]
    return f"{stem}_metadata.json"


class Asset(models.Model):
    class Kind(models.TextChoices):
        PORTRAIT = "portrait"
        AUDITION = "audition"
        STORYBOARD = "storyboard"
        CLIP = "clip"
        DIALOGUE_AUDIO = "dialogue_audio"
        MUSIC = "music"
        EPISODE_CUT = "episode_cut"
        SUBTITLES = "subtitles"
        TIMELINE = "timeline"
        UPLOAD = "upload"

    class MediaType(models.TextChoices):
        IMAGE = "image"
        VIDEO = "video"
        AUDIO = "audio"
        TEXT = "text"

    class Review(models.TextChoices):
        PENDING = "pending_review"
        APPROVED = "approved"
        REJECTED = "rejected"

    public_id = models.CharField(max_length=40, unique=True, default=new_asset_id, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assets"
    )
    project = models.CharField(max_length=100, help_text="The drama id, or an upload's project.")
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    media_type = models.CharField(max_length=10, choices=MediaType.choices)
    # The entity the asset belongs to; at most one of these is set.
    drama = models.ForeignKey(
        "dramas.Drama", null=True, blank=True, on_delete=models.CASCADE, related_name="assets"
    )
    character = models.ForeignKey(
        "dramas.Character",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assets",
    )
    episode = models.ForeignKey(
        "dramas.Episode", null=True, blank=True, on_delete=models.CASCADE, related_name="assets"
    )
    scene = models.ForeignKey(
        "dramas.Scene", null=True, blank=True, on_delete=models.CASCADE, related_name="assets"
    )
    # The versions of one thing share a slot (`scene:12:storyboard`); one of them is current.
    slot = models.CharField(max_length=120, db_index=True)
    file = models.FileField(upload_to=asset_storage_key, max_length=300)
    filename = models.CharField(max_length=200, blank=True, help_text="Sanitised original name.")
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    prompt = models.TextField(blank=True)
    provider = models.CharField(max_length=40, blank=True)
    model = models.CharField(max_length=100, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    # What the asset was made from (a sha256 of the node's inputs), or `upload:<sha256>` for a
    # client's own image put in a node's place.
    fingerprint = models.CharField(max_length=80, blank=True, db_index=True)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    review_status = models.CharField(
        max_length=20, choices=Review.choices, default=Review.PENDING, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)
    tag = models.CharField(max_length=100, blank=True, db_index=True)
    metadata = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey(
        "generation.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "kind", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"], condition=models.Q(is_current=True), name="one_current_per_slot"
            ),
            models.UniqueConstraint(fields=["slot", "version"], name="slot_version_unique"),
        ]
        permissions = [("moderate_asset", "Can approve or reject assets")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind} v{self.version}"

    @property
    def extension(self) -> str:
        """The stored file's extension (`mp4`, `wav`, `otio`)."""
        return self.file.name.rsplit(".", 1)[-1] if "." in self.file.name else ""


class ModerationItem(Asset):
    """An asset as the moderation queue shows it: the queue's own admin page, no table and no
    permissions of its own, since the queue is open to whoever may moderate assets."""

    class Meta:
        proxy = True
        verbose_name = "moderation item"
        verbose_name_plural = "moderation queue"
        default_permissions = ()


# The slots a client's own image may fill, by the entity they belong to: a character's
# portrait, a scene's storyboard (see assets.services.asset_attach).
OWN_MEDIA_KINDS = {"character": Asset.Kind.PORTRAIT, "scene": Asset.Kind.STORYBOARD}
