"""Jobs: the durable record of every piece of background work.

django-q2 only wakes workers up; these rows own status, attempts, leases and dependencies.
"""

from __future__ import annotations

from django.db import models

from dramaplatform.ids import new_job_id


class Job(models.Model):
    class Kind(models.TextChoices):
        SCRIPT = "script"
        IMPROVE = "improve"
        CRITIQUE = "critique"
        DAG = "dag"
        IMAGE = "image"
        VIDEO = "video"
        SPEECH = "speech"
        MUSIC = "music"
        ASSEMBLY = "assembly"

    class Status(models.TextChoices):
        PENDING = "pending"
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        SKIPPED = "skipped"
        CANCELLED = "cancelled"
        AWAITING_APPROVAL = "awaiting_approval"
        # A run whose nodes partly failed (some media made, some not).
        PARTIAL = "partial"

    class Node(models.TextChoices):
        PORTRAIT = "portrait"
        AUDITION = "audition"
        STORYBOARD = "storyboard"
        CLIP = "clip"
        DIALOGUE_AUDIO = "dialogue_audio"
        MUSIC = "music"
        EPISODE_CUT = "episode_cut"

    FINISHED = (Status.COMPLETED, Status.FAILED, Status.SKIPPED, Status.CANCELLED, Status.PARTIAL)
    # A run is in progress while its parent job is in one of these.
    ACTIVE = (Status.PENDING, Status.QUEUED, Status.RUNNING, Status.AWAITING_APPROVAL)

    public_id = models.CharField(max_length=40, unique=True, default=new_job_id, editable=False)
    drama = models.ForeignKey("dramas.Drama", on_delete=models.CASCADE, related_name="jobs")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    target_type = models.CharField(max_length=20, blank=True)
    # An entity's key, or a dialogue line's: its scene's and its place there (`sc_01_02#3`).
    target_key = models.CharField(max_length=48, blank=True)
    # For a node of a run: what it makes, which provider makes it (its concurrency pool,
    # `image:gemini`), and the input fingerprint of what it makes.
    node = models.CharField(max_length=20, choices=Node.choices, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents"
    )
    level = models.PositiveSmallIntegerField(default=0)
    # For a node of a run: the estimated seconds of work on the longest chain from it to the
    # end of the run, its own included. Of the nodes waiting for a provider's slot, the one
    # with the most behind it goes first.
    priority = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True)
    prompt = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    provider_job_id = models.CharField(max_length=200, blank=True)
    # Who holds the job while it runs, and until when; an expired lease may be taken over.
    lease_owner = models.CharField(max_length=80, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # When a worker was last asked to run the job; the sweeper re-sends only old messages.
    sent_at = models.DateTimeField(null=True, blank=True)
    # For a node of a run: when its inputs were all done and it was queued.
    released_at = models.DateTimeField(null=True, blank=True)
    # Not to be claimed before this time (a service's Retry-After, a backoff).
    not_before = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"]),
            models.Index(fields=["drama", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.kind} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def render(self) -> dict | None:
        """The handle of the remote render this node submitted, while it is in flight."""
        return self.metadata.get("render")


class ProviderSlot(models.Model):
    """One of a provider's concurrency slots, held by the job using it.

    A job takes a free slot with a conditional UPDATE, so the limit holds across every worker
    on every machine that shares the database; the slot is freed when the job finishes.
    """

    provider = models.CharField(max_length=40)
    number = models.PositiveSmallIntegerField()
    job = models.OneToOneField(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="slot"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "number"], name="provider_slot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider}#{self.number}"
