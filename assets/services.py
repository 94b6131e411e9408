"""Writes to the asset library: store a version, switch versions, moderate, delete, upload.

Files and rows move together: a file is written before its row commits and removed if the
row does not; a row's files are removed once its deletion has committed. The sidecar beside
each file is rewritten whenever what it says changes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone

from assets import detect
from assets.models import OWN_MEDIA_KINDS, Asset
from assets.storage import content_file, delete_keys, write_sidecar
from dramaplatform.errors import (
    Conflict,
    InvalidInput,
    PayloadTooLarge,
    PermissionDenied,
    UnsupportedMediaType,
)
from dramas.models import Character, Drama, Scene

SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
PROJECT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
STORE_TRIES = 3


@dataclass
class AssetContent:
    """What a provider or an upload produced, and where it belongs."""

    data: bytes
    content_type: str
    ext: str
    media_type: str
    kind: str
    filename: str = ""
    prompt: str = ""
    provider: str = ""
    model: str = ""
    parameters: dict = field(default_factory=dict)
    fingerprint: str = ""
    tag: str = ""
    metadata: dict = field(default_factory=dict)
    # Which one of several of a kind the entity has: a scene's dialogue line by its number.
    part: str = ""


def slot_for(*, kind: str, entity: models.Model | None, part: str = "") -> str:
    """The versions of one kind of asset of one entity (one part of it) share a slot."""
    if entity is None:
        return ""
    slot = f"{entity._meta.model_name}:{entity.pk}:{kind}"
    return f"{slot}:{part}" if part else slot


def _entity_fields(entity: models.Model | None) -> dict:
    if entity is None:
        return {}
    name = entity._meta.model_name
    if name not in ("drama", "character", "episode", "scene"):
        raise ValueError(f"assets do not belong to a {name}")
    if name == "drama":
        return {"drama": entity}
    # Every asset of a drama points at the drama too: one index finds them all.
    return {name: entity, "drama_id": entity.drama_id}


def asset_store(
    *,
    owner: AbstractBaseUser,
    project: str,
    content: AssetContent,
    entity: models.Model | None = None,
    job=None,
    review_status: str = Asset.Review.PENDING,
) -> Asset:
    """Stores a new version of the entity's asset of this kind and makes it current.

    The file and its sidecar are written first; the row commits after. If anything fails, the
    files are removed again, so there is never a row without a file or a file without a row.
    """
    for attempt in range(STORE_TRIES):
        try:
            return _store_once(owner=owner, project=project, content=content, entity=entity,
                               job=job, review_status=review_status)  # fmt: skip
        except IntegrityError:
            # Another writer took the same version number of this slot: take the next one.
            if attempt == STORE_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def _store_once(*, owner, project, content, entity, job, review_status) -> Asset:
    asset = Asset(
        owner=owner,
        project=project,
        kind=content.kind,
        media_type=content.media_type,
        content_type=content.content_type,
        size_bytes=len(content.data),
        sha256=hashlib.sha256(content.data).hexdigest(),
        filename=content.filename,
        prompt=content.prompt,
        provider=content.provider,
        model=content.model,
        parameters=content.parameters,
        fingerprint=content.fingerprint,
        tag=content.tag,
        metadata=content.metadata,
        job=job,
        review_status=review_status,
        **_entity_fields(entity),
    )
    asset.slot = (
        slot_for(kind=content.kind, entity=entity, part=content.part) or f"upload:{asset.public_id}"
    )
    stored: list[str] = []
    try:
        asset.file.save(
            f"{asset.public_id}.{content.ext}",
            content_file(content.data, content.content_type),
            save=False,
        )
        stored.append(asset.file.name)
        with transaction.atomic():
            previous = list(
                Asset.objects.select_for_update().filter(slot=asset.slot, is_current=True)
            )
            top = Asset.objects.filter(slot=asset.slot).aggregate(top=Max("version"))["top"]
            if previous:
                Asset.objects.filter(pk__in=[p.pk for p in previous]).update(is_current=False)
            asset.version = (top or 0) + 1
            asset.is_current = True
            asset.save()
            write_sidecar(asset)
            for old in previous:
                old.is_current = False
                write_sidecar(old)
    except BaseException:
        delete_keys(stored)
        raise
    return asset


@transaction.atomic
def asset_make_current(*, asset: Asset) -> Asset:
    """Switches the slot back (or forward) to this version."""
    previous = list(Asset.objects.select_for_update().filter(slot=asset.slot, is_current=True))
    if [p.pk for p in previous] == [asset.pk]:
        return asset
    Asset.objects.filter(pk__in=[p.pk for p in previous]).update(is_current=False)
    asset.is_current = True
    asset.save(update_fields=["is_current"])
    for old in previous:
        old.is_current = False
        write_sidecar(old)
    write_sidecar(asset)
    return asset


@transaction.atomic
def asset_delete(*, asset: Asset) -> None:
    """Deletes the version and its files; the newest remaining version becomes current."""
    successor = None
    if asset.is_current:
        successor = (
            Asset.objects.select_for_update()
            .filter(slot=asset.slot)
            .exclude(pk=asset.pk)
            .order_by("-version")
            .first()
        )
    asset.delete()  # its files go once this commits
    if successor is not None:
        successor.is_current = True
        successor.save(update_fields=["is_current"])
        write_sidecar(successor)


def asset_files_delete_on_commit(*, instance: Asset, **_) -> None:
    """Connected to Asset's post_delete: whatever deleted the row (this module, the cascade
    of a drama, character, episode or scene, the admin), its files go once that commits."""
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: delete_keys([name]))


@transaction.atomic
def asset_edit(*, asset: Asset, data: dict) -> Asset:
    """Edits the prompt, tag and metadata. A new prompt is what the asset's node makes from
    now on, so the node and what depends on it become stale."""
    fields: set[str] = set()
    metadata = dict(asset.metadata)
    if "prompt" in data and data["prompt"] != asset.prompt:
        asset.prompt = data["prompt"]
        metadata["promptEdited"] = True
        fields |= {"prompt", "metadata"}
    if "tag" in data:
        asset.tag = data["tag"]
        fields.add("tag")
    for key, value in data.get("metadata", {}).items():
        if value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value
        fields.add("metadata")
    asset.metadata = metadata
    if fields:
        asset.save(update_fields=sorted(fields))
        write_sidecar(asset)
    return asset


# Sent inside the review's transaction with `asset`: whatever waits on a review (an approval
# gate of the generation runs) listens, so storage need not know who waits.
asset_reviewed = Signal()


def _review(asset: Asset, *, status: str, reviewer: AbstractBaseUser, reason: str) -> Asset:
    asset.review_status = status
    asset.reviewed_by = reviewer
    asset.reviewed_at = timezone.now()
    asset.review_reason = reason
    asset.save(update_fields=["review_status", "reviewed_by", "reviewed_at", "review_reason"])
    write_sidecar(asset)
    asset_reviewed.send(sender=Asset, asset=asset)
    return asset


@transaction.atomic
def asset_approve(*, asset: Asset, reviewer: AbstractBaseUser, reason: str = "") -> Asset:
    return _review(asset, status=Asset.Review.APPROVED, reviewer=reviewer, reason=reason)


@transaction.atomic
def asset_reject(*, asset: Asset, reviewer: AbstractBaseUser, reason: str) -> Asset:
    if not reason.strip():
        raise InvalidInput({"reason": ["Say why the asset is rejected."]})
    return _review(asset, status=Asset.Review.REJECTED, reviewer=reviewer, reason=reason)


def sanitise_filename(name: str) -> str:
    """A display name only: the last path part, printable, no quotes or slashes, bounded."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = SAFE_NAME.sub("_", name).strip(" .")
    return name[:150] or "file"


def asset_upload(
    *,
    owner: AbstractBaseUser,
    upload: UploadedFile,
    declared_type: str = "",
    tag: str = "",
    project: str = "uploads",
    metadata: dict | None = None,
    target: Character | Scene | None = None,
) -> Asset:
    """Stores a client's file after finding its type from its bytes and checking it decodes.

    `owner` sent it. With a `target`, the file is stored straight into the target's slot as
    its own portrait or storyboard (see asset_attach), under the drama; otherwise it is a
    library upload of `owner` in `project`.
    """
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise PayloadTooLarge(
            f"The file is {upload.size} bytes; the limit is {settings.UPLOAD_MAX_BYTES}."
        )
    if not PROJECT_PATTERN.match(project):
        raise InvalidInput({"project": ["Use 1 to 63 lowercase letters, digits, '-' or '_'."]})
    if target is not None:
        _require_may_change(owner, target.drama)
    data = upload.read()
    filename = sanitise_filename(upload.name or "")
    try:
        found = detect.sniff(data)
    except detect.UnsupportedFile as exc:
        raise UnsupportedMediaType(str(exc)) from None
    if declared_type and declared_type != found.media_type:
        raise UnsupportedMediaType(
            f"The file was sent as {declared_type} but its content is {found.content_type}."
        )
    if not detect.name_matches(filename, found):
        raise UnsupportedMediaType(
            f"The name '{filename}' does not match the content, which is {found.content_type}."
        )
    if target is not None:
        # Before decoding: a video or a sound is not probed only to be refused.
        _require_image(found.media_type, found.content_type, kind=own_media_kind(target),
                       field="file")  # fmt: skip
    try:
        # Images are decoded with Pillow, videos and sounds probed with ffmpeg (detect.probe).
        facts = detect.verify(data, found)
    except detect.DamagedFile as exc:
        raise InvalidInput({"file": [str(exc)]}) from None
    metadata = {**(metadata or {}), **facts, "source": "upload"}
    if target is not None:
        kind = own_media_kind(target)
        content = _own_media(data=data, found=found, kind=kind, filename=filename, tag=tag,
                             metadata=metadata)  # fmt: skip
        drama = target.drama
        return asset_store(owner=drama.owner, project=drama.public_id, content=content,
                           entity=target)  # fmt: skip
    content = AssetContent(
        data=data,
        content_type=found.content_type,
        ext=found.ext,
        media_type=found.media_type,
        kind=Asset.Kind.UPLOAD,
        filename=filename,
        tag=tag,
        metadata=metadata,
    )
    return asset_store(owner=owner, project=project, content=content)


# ---------------------------------------------------------------- a client's own media
# Generation treats a current asset whose metadata says `source: upload` as made (no provider
# call), and its fingerprint, new to what depends on it, makes those nodes stale.
def own_media_kind(entity: Character | Scene) -> str:
    """The kind of asset a client's image becomes on this entity."""
    return OWN_MEDIA_KINDS[entity._meta.model_name]


def asset_attach(*, upload: Asset, target: Character | Scene, by: AbstractBaseUser) -> Asset:
    """Stores a library upload as the target's own portrait (a character) or storyboard (a
    scene): a new current version of that slot, under the drama; the upload stays as it is.

    Only the owner of the upload, and of the drama, or staff may; only an image that is a
    library upload and was not rejected in review.
    """
    kind = own_media_kind(target)
    drama = target.drama
    if upload.owner_id != by.pk and not by.is_staff:
        raise PermissionDenied("Only the owner of the upload or staff may attach it.")
    _require_may_change(by, drama)
    if upload.kind != Asset.Kind.UPLOAD:
        raise Conflict(
            f"{upload.public_id} is a {upload.kind}, not a library upload: only uploads can be "
            "attached."
        )
    if upload.review_status == Asset.Review.REJECTED:
        raise Conflict(f"{upload.public_id} was rejected in review; it cannot be attached.")
    _require_image(upload.media_type, upload.content_type, kind=kind, field="assetId")
    with upload.file.open("rb") as handle:
        data = handle.read()
    content = _own_media(
        data=data,
        found=detect.sniff(data),
        kind=kind,
        filename=upload.filename,
        tag=upload.tag,
        metadata={**upload.metadata, "source": "upload", "uploadId": upload.public_id},
    )
    return asset_store(owner=drama.owner, project=drama.public_id, content=content,
                       entity=target)  # fmt: skip


def _require_may_change(user: AbstractBaseUser, drama: Drama) -> None:
    if drama.owner_id != user.pk and not user.is_staff:
        raise PermissionDenied("Only the owner of the drama or staff may change its media.")


def _require_image(media_type: str, content_type: str, *, kind: str, field: str) -> None:
    if media_type != Asset.MediaType.IMAGE:
        raise UnsupportedMediaType(f"A {kind} must be an image; the {field} is {content_type}.")


def _own_media(
    *, data: bytes, found: detect.Detected, kind: str, filename: str, tag: str, metadata: dict
) -> AssetContent:
    return AssetContent(
        data=data,
        content_type=found.content_type,
        ext=found.ext,
        media_type=found.media_type,
        kind=kind,
        filename=filename,
        fingerprint=f"upload:{hashlib.sha256(data).hexdigest()}",
        tag=tag,
        metadata=metadata,
    )
