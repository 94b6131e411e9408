"""Where asset files live: keys, sidecars, URLs, and listing what a bucket holds.

Works the same on local files and on S3/R2 (django-storages); the few differences (signed
URLs, listing) are kept here.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage

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
    """A URL that never expires: the bucket's public domain, when it has one. Local files have
    none: they are served only through signed URLs (SignedFileSystemStorage)."""
    if not asset.file or not settings.MEDIA_PUBLIC_URL:
        return ""
    return f"{settings.MEDIA_PUBLIC_URL.rstrip('/')}/{asset.file.name}"


# ---------------------------------------------------------------- signed local URLs
MEDIA_URL_SALT = "assets.media-url"


class SignedFileSystemStorage(FileSystemStorage):
    """Local media whose URLs carry a signature and an expiry: `/media/…` serves a file only
    to whoever holds a URL the API or the admin gave out (assets.media checks it), so a URL
    works in an `<img>` or `<video>` without a key, and a guessed one does not."""

    def url(self, name: str) -> str:
        return f"{super().url(name)}?sig={media_url_signature(name)}"


def media_url_signature(name: str, *, now: float | None = None) -> str:
    """`{expires}.{signature}` for the file `name`, valid for at least MEDIA_URL_SECONDS.

    The expiry is rounded up to a tenth of that lifetime, so the URL of a file stays the same
    for a while: a browser caches it, and a page rendered twice shows the same URL."""
    lifetime = settings.MEDIA_URL_SECONDS
    step = max(lifetime // 10, 1)
    expires = math.ceil(((time.time() if now is None else now) + lifetime) / step) * step
    signature = signing.Signer(salt=MEDIA_URL_SALT).signature(_signed_value(name, expires))
    return f"{expires}.{signature}"


def media_url_problem(name: str, token: str, *, now: float | None = None) -> str:
    """What is wrong with `token` (from media_url_signature) for `name` now; "" when nothing."""
    expires, _, signature = token.partition(".")
    if not expires.isdigit() or not signature:
        return "The link is not signed."
    try:
        # unsign compares in constant time and accepts SECRET_KEY_FALLBACKS while keys rotate.
        signing.Signer(salt=MEDIA_URL_SALT).unsign(
            f"{_signed_value(name, int(expires))}:{signature}"
        )
    except signing.BadSignature:
        return "The link's signature is not valid for this file."
    if int(expires) < (time.time() if now is None else now):
        return "The link has expired: ask the API for the asset again for a fresh one."
    return ""


def _signed_value(name: str, expires: int) -> str:
    return f"{name.lstrip('/')}|{expires}"


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
