"""Where asset files live: keys, sidecars, URLs, and listing what a bucket holds.

Works the same on local files and on S3/R2 (django-storages); the few differences (signed
URLs, listing) are kept here.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from assets.models import Asset, sidecar_key

logger = logging.getLogger(__name__)


def media_storage() -> Storage:
    return Asset._meta.get_field("file").storage


def is_object_storage(storage: Storage | None = None) -> bool:
    return hasattr(storage or media_storage(), "bucket_name")


def content_file(data: bytes, content_type: str) -> ContentFile:
    content = ContentFile(data)
    # django-storages sends this as the object's Content-Type.
    content.content_type = content_type
    return content


def public_url(asset: Asset) -> str:
    """A URL that never expires: the bucket's public domain, or the local media URL."""
    if not asset.file:
        return ""
    if settings.MEDIA_PUBLIC_URL:
        return f"{settings.MEDIA_PUBLIC_URL.rstrip('/')}/{asset.file.name}"
    if is_object_storage():
        return ""
    return asset.file.url


def signed_url(asset: Asset, *, filename: str = "") -> str:
    """A short-lived URL to fetch the file from the bucket directly."""
    storage = media_storage()
    params = {"Bucket": storage.bucket_name, "Key": storage._normalize_name(asset.file.name)}
    if filename:
        params["ResponseContentDisposition"] = f'inline; filename="{filename}"'
    return storage.bucket.meta.client.generate_presigned_url(
        "get_object", Params=params, ExpiresIn=settings.SIGNED_URL_SECONDS
    )


def sidecar_body(asset: Asset) -> dict:
    """What the bucket says about the asset, so it describes itself without the database."""
    return {
        "assetId": asset.public_id,
        "userId": asset.owner_id,
        "projectName": asset.project,
        "assetType": asset.media_type,
        "kind": asset.kind,
        "tag": asset.tag,
        "filename": asset.filename or os.path.basename(asset.file.name),
        "key": asset.file.name,
        "publicUrl": public_url(asset),
        "contentType": asset.content_type,
        "sizeBytes": asset.size_bytes,
        "sha256": asset.sha256,
        "version": asset.version,
        "isCurrent": asset.is_current,
        "reviewStatus": asset.review_status,
        "reviewReason": asset.review_reason,
        "reviewedAt": asset.reviewed_at.isoformat() if asset.reviewed_at else None,
        "createdAt": asset.created_at.isoformat() if asset.created_at else None,
        "metadata": {
            "jobId": asset.job.public_id if asset.job_id else None,
            "prompt": asset.prompt,
            "source": asset.metadata.get("source", asset.provider or "upload"),
            "provider": asset.provider,
            "model": asset.model,
            "fingerprint": asset.fingerprint,
            "extra": {k: v for k, v in asset.metadata.items() if k != "source"},
        },
    }


def write_sidecar(asset: Asset) -> None:
    body = json.dumps(sidecar_body(asset), indent=2, sort_keys=True).encode()
    media_storage().save(sidecar_key(asset.file.name), content_file(body, "application/json"))


def read_sidecar(asset: Asset) -> dict:
    with media_storage().open(sidecar_key(asset.file.name)) as handle:
        return json.loads(handle.read())


def delete_keys(names: Iterable[str]) -> None:
    """Deletes each file and its sidecar; a failure is logged and left to `storage_check`."""
    remove_keys(key for name in names for key in (name, sidecar_key(name)))


def remove_keys(keys: Iterable[str]) -> None:
    storage = media_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception:
            logger.exception("could not delete %s from media storage", key)


def iter_keys(prefix: str = "") -> Iterator[tuple[str, datetime]]:
    """Every key in media storage under `prefix`, with when it was last written."""
    storage = media_storage()
    if is_object_storage(storage):
        location = storage._normalize_name("")
        for item in storage.bucket.objects.filter(Prefix=storage._normalize_name(prefix)):
            yield item.key.removeprefix(location).lstrip("/"), item.last_modified
        return
    root = storage.location
    base = os.path.join(root, prefix) if prefix else root
    for folder, _, files in os.walk(base):
        for name in files:
            path = os.path.join(folder, name)
            written = datetime.fromtimestamp(os.path.getmtime(path), tz=UTC)
            yield os.path.relpath(path, root).replace(os.sep, "/"), written
