"""Assets in the admin: the library with its previews and version history, and the moderation
queue.

Every write goes through assets.services (review, make current, edit, delete), so the admin
keeps the sidecars, the current version of each slot and the files as the API does.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.forms import ModelForm
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.templatetags.static import static
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.timesince import timesince

from assets import services
from assets.models import Asset, ModerationItem
from assets.selectors import MODERATE, asset_versions
from dramaplatform.errors import InvalidInput

# The boxes (width, height in px) media are shown in: a row of the library, a version in the
# history, a row of the queue (big enough to judge a face or a frame), the form.
THUMB = (160, 160)
QUEUE = (240, 427)
FORM = (480, 640)

REVIEW_LABELS = {
    Asset.Review.PENDING: ("Pending review", "admin/img/icon-alert.svg"),
    Asset.Review.APPROVED: ("Approved", "admin/img/icon-yes.svg"),
    Asset.Review.REJECTED: ("Rejected", "admin/img/icon-no.svg"),
}
NO_REASON = "Write the reason for rejecting first: nothing was rejected."


# ---------------------------------------------------------------- what the pages show
def media_tag(asset: Asset, box: tuple[int, int]) -> SafeString:
    """The asset's file as the browser shows it: an image, a player for video and sound, a
    link for text. The URL is the storage's signed one, good in a tag without a key."""
    if not asset.file:
        return format_html("—")
    url, (width, height) = asset.file.url, box
    if asset.media_type == Asset.MediaType.IMAGE:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener" title="Open at full size">'
            '<img src="{}" alt="{} {}" class="asset-media" '
            'style="max-width:{}px;max-height:{}px"></a>',
            url, url, asset.get_kind_display(), asset.public_id, width, height,
        )  # fmt: skip
    if asset.media_type == Asset.MediaType.VIDEO:
        # A fixed box, so the player's controls have room before the video's size is known;
        # `#t=0.001` makes the player show the first frame instead of a black box.
        return format_html(
            '<video src="{}#t=0.001" class="asset-media" controls preload="metadata" playsinline '
            'style="width:{}px;height:{}px"></video>',
            url, width, height,
        )  # fmt: skip
    if asset.media_type == Asset.MediaType.AUDIO:
        return format_html(
            '<audio src="{}" class="asset-media" controls preload="metadata" '
            'style="width:{}px"></audio>',
            url, max(width, 260),
        )  # fmt: skip
    return format_html('<a href="{}" target="_blank" rel="noopener">Open the text</a>', url)


def review_label(asset: Asset, *, detail: bool = False) -> SafeString:
    """The review status with Django's own icons; with `detail`, who decided, when and why
    (`reviewed_by` should be selected with the asset)."""
    text, icon = REVIEW_LABELS.get(asset.review_status, (asset.review_status, ""))
    html = format_html(
        '<span class="review-status review-{}"><img src="{}" alt=""> {}</span>',
        asset.review_status, static(icon), text,
    )  # fmt: skip
    if not detail or asset.review_status == Asset.Review.PENDING:
        return html
    who = asset.reviewed_by.get_username() if asset.reviewed_by_id else "a deleted user"
    when = f"{timesince(asset.reviewed_at)} ago" if asset.reviewed_at else ""
    html += format_html('<div class="quiet">by {} {}</div>', who, when)
    if asset.review_reason:
        html += format_html('<div class="review-reason">“{}”</div>', asset.review_reason)
    return html


def belongs_to(asset: Asset) -> str:
    """The drama and the entity the asset was made for, or an upload's project."""
    parts = [str(asset.drama)] if asset.drama_id else []
    if asset.character_id:
        parts.append(f"character {asset.character}")
    elif asset.scene_id:
        parts.append(f"scene {asset.scene}")
    elif asset.episode_id:
        parts.append(f"episode {asset.episode}")
    return " › ".join(parts) or f"project {asset.project}"


def made_by(asset: Asset) -> str:
    if asset.provider:
        return f"{asset.provider} · {asset.model}" if asset.model else asset.provider
    return "uploaded"


def asset_summary(asset: Asset, *, prompt: bool = False) -> SafeString:
    """What the asset is, a link to its page: kind and version, what it belongs to, when and
    how it was made, for whom (the drama, character, episode and scene should be selected)."""
    html = format_html(
        '<div class="asset-summary" data-asset="{}"><a href="{}"><strong>{}</strong> v{}</a> '
        '<span class="quiet">({})</span><div>{}</div>'
        '<div class="quiet">{} · made {} ago · {} · for {} · <span class="asset-id">{}</span>'
        "</div></div>",
        asset.public_id, reverse("admin:assets_asset_change", args=[asset.pk]),
        asset.get_kind_display(), asset.version,
        "current" if asset.is_current else "not current", belongs_to(asset),
        asset.get_media_type_display().lower(), timesince(asset.created_at), made_by(asset),
        asset.owner.get_username(), asset.public_id,
    )  # fmt: skip
    if prompt:
        html += format_html(
            '<div class="queue-prompt"><span class="quiet">Prompt:</span> {}</div>',
            Truncator(asset.prompt).chars(300) or "—",
        )
    return html


# ---------------------------------------------------------------- reviewing
class ReviewActionForm(ActionForm):
    reason = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"size": 50, "placeholder": "Reason (needed to reject)"}),
    )


def record_review(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    assets: list[Asset],
    *,
    approve: bool,
    reason: str,
) -> bool:
    """Approves or rejects `assets` through the services, which keep who, when and why; a
    rejection without a reason is refused with a message. Returns whether it was done."""
    reason = reason.strip()
    if not approve and not reason:
        modeladmin.message_user(request, NO_REASON, messages.ERROR)
        return False
    decide = services.asset_approve if approve else services.asset_reject
    verb = "Approved" if approve else "Rejected"
    try:
        with transaction.atomic():
            for asset in assets:
                decide(asset=asset, reviewer=request.user, reason=reason)
                modeladmin.log_change(request, asset, f"{verb}: {reason}" if reason else verb)
    except InvalidInput as exc:
        modeladmin.message_user(request, str(exc), messages.ERROR)
        return False
    return True


class ReviewActions:
    """Approve and reject as changelist actions, the reason from the action bar's field."""

    action_form = ReviewActionForm
    actions = ("approve", "reject")

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MODERATE)

    @admin.action(description="Approve the selected assets", permissions=["moderate"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        self._review_selected(request, queryset, approve=True)

    @admin.action(
        description="Reject the selected assets (write the reason)", permissions=["moderate"]
    )
    def reject(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        self._review_selected(request, queryset, approve=False)

    def _review_selected(self, request: HttpRequest, queryset: QuerySet, *, approve: bool) -> None:
        # Assets, not the queue's proxies: the log and the review signal speak of assets.
        assets = list(
            Asset.objects.filter(pk__in=queryset.values("pk")).select_related("scene", "drama")
        )
        if record_review(
            self, request, assets, approve=approve, reason=request.POST.get("reason", "")
        ):
            verb = "Approved" if approve else "Rejected"
            self.message_user(request, f"{verb} {len(assets)} asset(s).", messages.SUCCESS)


def back_to(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Back to the page the form was on (`next`, if it is this site's), else `fallback`."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = fallback
    return HttpResponseRedirect(target)


# ---------------------------------------------------------------- filters
class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("today", "Today"), ("week", "Last 7 days"), ("older", "Older than 7 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.localtime()
        week_ago = now - timedelta(days=7)
        if self.value() == "today":
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            return queryset.filter(created_at__gte=midnight)
        if self.value() == "week":
            return queryset.filter(created_at__gte=week_ago)
        if self.value() == "older":
            return queryset.filter(created_at__lt=week_ago)
        return queryset


class DramaFilter(admin.RelatedOnlyFieldListFilter):
    """The dramas that have assets, and the assets of none (uploads on their own)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.empty_value_display = "Not in a drama"


# ---------------------------------------------------------------- the library
PREVIEW = ("preview_large",)
REVIEW = ("review_status", "reviewed_by", "reviewed_at", "review_reason")
WHAT = ("public_id", "kind", "media_type", "owner", "project", "drama", "character", "episode",
        "scene", "slot", "version", "is_current", "created_at")  # fmt: skip
GENERATION = ("prompt", "provider", "model", "parameters", "job", "fingerprint")
FILE = ("file", "filename", "content_type", "size_bytes", "sha256", "tag", "metadata")
# What staff may change in the form, through services.asset_edit; the rest is made by the
# generation and the review.
EDITABLE = ("prompt", "tag")


@admin.register(Asset)
class AssetAdmin(ReviewActions, admin.ModelAdmin):
    # Few columns, so the review status shows beside the sidebar and the filters.
    list_display = ("preview", "about", "review_state")
    list_display_links = None
    list_filter = ("review_status", "kind", "media_type", "is_current", ("drama", DramaFilter),
                   AgeFilter)  # fmt: skip
    list_select_related = ("owner", "drama", "character", "episode", "scene")
    search_fields = ("public_id", "tag", "project", "prompt", "drama__title")
    readonly_fields = tuple(
        f for f in (*PREVIEW, *REVIEW, *WHAT, *GENERATION, *FILE) if f not in EDITABLE
    )
    fieldsets = (
        (None, {"fields": PREVIEW}),
        ("Review", {"fields": REVIEW}),
        ("Asset", {"fields": WHAT}),
        ("Generation", {"fields": GENERATION}),
        ("File", {"fields": FILE}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Asset | None = None) -> list:
        # A readonly field a subclass adds (a button, say) goes beside the preview.
        fieldsets = [(name, dict(options)) for name, options in self.fieldsets]
        placed = {f for _, options in fieldsets for f in options["fields"]}
        extra = tuple(f for f in self.get_readonly_fields(request, obj) if f not in placed)
        fieldsets[0][1]["fields"] = (*fieldsets[0][1]["fields"], *extra)
        return fieldsets

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/review/", wrap(self.review_view), name=f"{name}_review"),
            path(
                "<path:object_id>/make-current/",
                wrap(self.make_current_view),
                name=f"{name}_make_current",
            ),
            *super().get_urls(),
        ]

    # -------------------------------------------------------------- columns
    @admin.display(description="Preview")
    def preview(self, obj: Asset) -> str:
        return media_tag(obj, THUMB)

    @admin.display(description="Preview")
    def preview_large(self, obj: Asset) -> str:
        return media_tag(obj, FORM)

    @admin.display(description="Asset", ordering="created_at")
    def about(self, obj: Asset) -> str:
        return asset_summary(obj)

    @admin.display(description="Review", ordering="review_status")
    def review_state(self, obj: Asset) -> str:
        return review_label(obj)

    # -------------------------------------------------------------- the form
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        asset = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if asset is not None:
            context.update(
                may_moderate=self.has_moderate_permission(request),
                may_make_current=self.has_change_permission(request, asset),
                versions=[
                    {
                        "asset": v,
                        "preview": media_tag(v, (96, 96)),
                        "review": review_label(v, detail=True),
                        "made_by": made_by(v),
                    }
                    for v in asset_versions(asset=asset)
                ],
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Assets are made by the generation and by uploads, which check what they store.
        return False

    def save_model(self, request: HttpRequest, obj: Asset, form: ModelForm, change: bool) -> None:
        # The form has set its values on `obj`; the service compares against the stored row.
        stored = Asset.objects.get(pk=obj.pk)
        services.asset_edit(
            asset=stored, data={f: form.cleaned_data[f] for f in form.changed_data if f in EDITABLE}
        )

    def delete_model(self, request: HttpRequest, obj: Asset) -> None:
        services.asset_delete(asset=obj)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        for pk in list(queryset.values_list("pk", flat=True)):
            # Read again each time: deleting a current version makes another one current.
            asset = Asset.objects.filter(pk=pk).first()
            if asset is not None:
                services.asset_delete(asset=asset)

    # -------------------------------------------------------------- the buttons
    def _posted_asset(self, object_id: str) -> Asset:
        try:
            pk = int(unquote(object_id))
        except ValueError:
            raise Http404("No such asset.") from None
        # The scene too: the approval gate of a run reads a storyboard's scene.
        asset = Asset.objects.select_related("scene", "drama").filter(pk=pk).first()
        if asset is None:
            raise Http404("No such asset.")
        return asset

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """One asset approved or rejected from its page or from a row of the queue."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_moderate_permission(request):
            raise PermissionDenied
        asset = self._posted_asset(object_id)
        decision = request.POST.get("decision", "")
        reason = request.POST.get("reason", "")
        if decision not in ("approve", "reject"):
            self.message_user(request, "Choose Approve or Reject.", messages.ERROR)
        elif record_review(self, request, [asset], approve=decision == "approve", reason=reason):
            verb = "Approved" if decision == "approve" else "Rejected"
            what = f"{asset.get_kind_display().lower()} {asset.public_id}"
            self.message_user(request, f"{verb} {what}.", messages.SUCCESS)
        return back_to(request, reverse("admin:assets_asset_change", args=[asset.pk]))

    def make_current_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Makes this version the current one of its slot, as the API's make-current does."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        asset = self._posted_asset(object_id)
        if not self.has_change_permission(request, asset):
            raise PermissionDenied
        services.asset_make_current(asset=asset)
        self.log_change(request, asset, f"Made version {asset.version} current.")
        self.message_user(
            request,
            f"Version {asset.version} is now the current one of {asset.slot}.",
            messages.SUCCESS,
        )
        return back_to(request, reverse("admin:assets_asset_change", args=[asset.pk]))


# ---------------------------------------------------------------- the moderation queue
@admin.register(ModerationItem)
class ModerationQueueAdmin(ReviewActions, admin.ModelAdmin):
    """What waits for review first, oldest first; then what was decided, latest first. Each
    row approves or rejects on its own (see the change_list template), or in bulk."""

    list_display = ("preview", "item")
    list_display_links = None
    list_filter = ("review_status", ("drama", DramaFilter), "kind", "media_type", AgeFilter)
    list_select_related = ("owner", "drama", "character", "episode", "scene", "reviewed_by")
    list_per_page = 20
    search_fields = ("public_id", "drama__title", "prompt", "tag")
    ordering = (
        Case(
            When(review_status=Asset.Review.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ).asc(),
        F("reviewed_at").desc(nulls_last=True),
        "created_at",
    )

    def has_view_permission(self, request: HttpRequest, obj: Asset | None = None) -> bool:
        return self.has_moderate_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Asset | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Asset | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        # The action bar says "Select all 40 assets", not "40 moderation queue".
        context = {
            "title": "Moderation queue: what waits for review comes first",
            "module_name": "assets",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        # An item of the queue is an asset: its page is the asset's.
        if not self.has_view_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:assets_asset_change", args=[object_id]))

    @admin.display(description="Preview")
    def preview(self, obj: Asset) -> str:
        return media_tag(obj, QUEUE)

    @admin.display(description="Asset and decision")
    def item(self, obj: Asset) -> str:
        return format_html(
            '<div class="queue-item">{}<div class="queue-review">{}</div>{}</div>',
            asset_summary(obj, prompt=True), review_label(obj, detail=True), self._decide(obj),
        )  # fmt: skip

    def _decide(self, obj: Asset) -> str:
        # The controls belong to the row's own forms (rendered after the changelist form,
        # which may not hold forms), so Enter in the reason rejects this row and nothing else.
        approve = format_html(
            '<button type="submit" form="approve-{}" name="decision" value="approve" '
            'class="button review-approve">Approve</button>',
            obj.pk,
        )
        return format_html(
            '<div class="review-decide"><div class="review-line">{}</div>'
            '<div class="review-line"><input type="text" name="reason" form="reject-{}" required '
            'maxlength="2000" placeholder="Reason for rejecting" '
            'aria-label="Reason for rejecting {}">'
            '<button type="submit" form="reject-{}" name="decision" value="reject" '
            'class="button review-reject">Reject</button></div></div>',
            approve if obj.review_status != Asset.Review.APPROVED else "",
            obj.pk, obj.public_id, obj.pk,
        )  # fmt: skip
