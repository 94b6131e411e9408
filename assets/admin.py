from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from assets.models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("public_id", "preview", "kind", "media_type", "owner", "version",
                    "is_current", "review_status", "created_at")  # fmt: skip
    list_filter = ("review_status", "kind", "media_type", "is_current")
    list_select_related = ("owner",)
    search_fields = ("public_id", "tag", "project")
    raw_id_fields = ("owner", "drama", "character", "episode", "scene", "job", "reviewed_by")
    readonly_fields = ("public_id", "sha256", "size_bytes", "fingerprint", "created_at",
                       "preview")  # fmt: skip

    @admin.display(description="Preview")
    def preview(self, obj: Asset) -> str:
        if not obj.file:
            return "—"
        if obj.media_type == Asset.MediaType.IMAGE:
            return format_html('<img src="{}" style="max-height:80px">', obj.file.url)
        if obj.media_type == Asset.MediaType.VIDEO:
            return format_html(
                '<video src="{}" style="max-height:80px" muted controls></video>', obj.file.url
            )
        return format_html('<a href="{}">file</a>', obj.file.url)
