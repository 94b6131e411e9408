from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generation.models import Job
from generation.selectors import COUNTED


class JobCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    awaiting_approval = serializers.IntegerField()


class JobSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    drama_id = serializers.CharField(source="drama.public_id")
    parent_id = serializers.SerializerMethodField()
    asset_id = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    result = serializers.JSONField(help_text="The critique, the script version, or null.")
    metadata = serializers.DictField()

    class Meta:
        model = Job
        fields = [
            "id",
            "drama_id",
            "parent_id",
            "kind",
            "status",
            "target_type",
            "target_key",
            "asset_id",
            "level",
            "attempts",
            "max_attempts",
            "error",
            "prompt",
            "result",
            "provider_job_id",
            "metadata",
            "counts",
            "created_at",
            "started_at",
            "completed_at",
        ]

    def get_parent_id(self, job: Job) -> str | None:
        return job.parent.public_id if job.parent_id else None

    def get_asset_id(self, job: Job) -> str | None:
        return job.asset.public_id if job.asset_id else None

    @extend_schema_field(JobCountsSerializer)
    def get_counts(self, job: Job) -> dict:
        counts = {"total": job.child_total}
        counts.update({status: getattr(job, f"child_{status}") for status in COUNTED})
        return counts


class JobWithChildrenSerializer(JobSerializer):
    children = serializers.SerializerMethodField()

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "children"]

    @extend_schema_field(JobSerializer(many=True, allow_null=True))
    def get_children(self, job: Job) -> list[dict] | None:
        children = self.context.get("children")
        if children is None:
            return None
        return JobSerializer(children, many=True).data


class JobAcceptedSerializer(serializers.Serializer):
    """The answer to a request that queued background work."""

    job_id = serializers.CharField()
    drama_id = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField()


def accepted(job: Job, message: str) -> dict:
    return {
        "job_id": job.public_id,
        "drama_id": job.drama.public_id,
        "status": job.status,
        "message": message,
    }
