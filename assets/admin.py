from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from assets import services
from assets.models import Asset
from assets.selectors import MODERATE, asset_versions


class ReviewActionForm(ActionForm):
    reason = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"size": 50, "placeholder": "Reason (needed to reject)"}),
    )


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("public_id", "preview", "kind", "media_type", "owner", "version",
                    "is_current", "review_status", "created_at")  # fmt: skip
    list_filter = ("review_status", "kind", "media_type", "is_current")
    list_select_related = ("owner",)
    search_fields = ("public_id", "tag", "project")
    raw_id_fields = ("owner", "drama", "character", "episode", "scene", "job", "reviewed_by")
    readonly_fields = ("public_id", "slot", "version", "sha256", "size_bytes", "fingerprint",
                       "created_at", "preview_large", "versions")  # fmt: skip
    action_form = ReviewActionForm
    actions = ("approve", "reject")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Asset]:
        # The moderation queue: what waits for review comes first, oldest first.
        return (
            super()
            .get_queryset(request)
            .annotate(
                waiting=Case(
                    When(review_status=Asset.Review.PENDING, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("waiting", "created_at")
        )

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MODERATE)

    def _media(self, obj: Asset, height: int) -> str:
        if not obj.file:
            return "—"
        url = obj.file.url
        if obj.media_type == Asset.MediaType.IMAGE:
            return format_html('<img src="{}" style="max-height:{}px">', url, height)
        if obj.media_type == Asset.MediaType.VIDEO:
            return format_html(
                '<video src="{}" style="max-height:{}px" muted controls preload="metadata">'
                "</video>",
                url,
                height,
            )
        return format_html('<a href="{}">file</a>', url)

    @admin.display(description="Preview")
    def preview(self, obj: Asset) -> str:
        return self._media(obj, 80)

    @admin.display(description="Preview")
    def preview_large(self, obj: Asset) -> str:
        return self._media(obj, 480)

    @admin.display(description="Versions")
    def versions(self, obj: Asset) -> str:
        rows = [
            (
                reverse("admin:assets_asset_change", args=[v.pk]),
                f"v{v.version}{' (current)' if v.is_current else ''} — {v.review_status}, "
                f"{v.created_at:%Y-%m-%d %H:%M}",
            )
            for v in asset_versions(asset=obj)
        ]
        return format_html_join("", '<div><a href="{}">{}</a></div>', rows)

    @admin.action(description="Approve the selected assets", permissions=["moderate"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        reason = request.POST.get("reason", "").strip()
        for asset in queryset:
            services.asset_approve(asset=asset, reviewer=request.user, reason=reason)
        self.message_user(request, f"Approved {len(queryset)} asset(s).")

    @admin.action(description="Reject the selected assets", permissions=["moderate"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, "Write the reason for rejecting first.", messages.ERROR)
            return
        for asset in queryset:
            services.asset_reject(asset=asset, reviewer=request.user, reason=reason)
        self.message_user(request, f"Rejected {len(queryset)} asset(s).")
