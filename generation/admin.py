from __future__ import annotations

from django.contrib import admin

from generation.models import Job


class ChildInline(admin.TabularInline):
    model = Job
    fk_name = "parent"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("public_id", "kind", "target_type", "target_key", "status", "attempts", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("public_id", "kind", "status", "drama", "attempts", "created_at",
                    "completed_at")  # fmt: skip
    list_filter = ("status", "kind")
    list_select_related = ("drama",)
    search_fields = ("public_id", "drama__title", "drama__public_id")
    raw_id_fields = ("drama", "parent", "asset", "depends_on")
    readonly_fields = ("public_id", "created_at", "started_at", "completed_at", "sent_at",
                       "lease_owner", "lease_expires_at")  # fmt: skip
    inlines = (ChildInline,)
