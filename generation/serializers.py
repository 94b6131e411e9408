from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generation.dag import KIND_WORDS
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
    partial = serializers.IntegerField()


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
            "node",
            "provider",
            "fingerprint",
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
            "not_before",
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


class InFlightSerializer(serializers.Serializer):
    id = serializers.CharField()
    node = serializers.CharField()
    target_key = serializers.CharField()
    provider = serializers.CharField()
    render_progress = serializers.FloatField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)


class ProgressSerializer(serializers.Serializer):
    percent = serializers.FloatField()
    in_flight = InFlightSerializer(many=True)
    cost_usd = serializers.FloatField(help_text="Spent so far, from the price table.")
    estimated_cost_usd = serializers.FloatField(allow_null=True, help_text="The plan's estimate.")
    eta_seconds = serializers.FloatField(
        allow_null=True, help_text="Time left at the pace so far; null until a node ends."
    )


class JobWithChildrenSerializer(JobSerializer):
    children = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "progress", "children"]

    @extend_schema_field(ProgressSerializer(allow_null=True))
    def get_progress(self, job: Job) -> dict | None:
        progress = self.context.get("progress")
        return ProgressSerializer(progress).data if progress is not None else None

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


class GenerateInput(serializers.Serializer):
    force = serializers.BooleanField(
        required=False, default=False, help_text="Make the nodes again even where made."
    )
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(KIND_WORDS)),
        required=False,
        allow_empty=False,
        max_length=len(KIND_WORDS),
        help_text="Only these nodes (and what they wait for that is not made): node names, "
        "or `image`, `video`, `assembly`.",
    )
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Answer with the plan and its cost; run nothing."
    )


class PlanNodeSerializer(serializers.Serializer):
    node = serializers.CharField()
    target_type = serializers.CharField()
    target_key = serializers.CharField()
    provider = serializers.CharField()
    model = serializers.CharField()
    level = serializers.IntegerField()
    estimated_cost_usd = serializers.FloatField(allow_null=True)
    depends_on = serializers.ListField(child=serializers.CharField())


class PlanCostSerializer(serializers.Serializer):
    by_provider = serializers.DictField(child=serializers.FloatField(allow_null=True))
    total = serializers.FloatField(allow_null=True, help_text="Null when a model has no price.")


class PlanSerializer(serializers.Serializer):
    to_make = PlanNodeSerializer(many=True)
    satisfied = PlanNodeSerializer(many=True)
    estimated_cost_usd = PlanCostSerializer()
