"""The STORAGES entry for S3-compatible object storage (Cloudflare R2, AWS, MinIO, SeaweedFS)."""

from __future__ import annotations

from urllib.parse import urlparse

from botocore.config import Config


def s3_storage(
    *,
    bucket: str,
    endpoint: str,
    key_id: str,
    secret: str,
    region: str,
    public_url: str = "",
    signed_url_seconds: int = 300,
) -> dict:
    """django-storages' S3 backend, as R2 and other S3 services need it."""
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "access_key": key_id,
        "secret_key": secret,
        "region_name": region,
        "querystring_auth": True,
        "querystring_expire": signed_url_seconds,
        # Keys are unique asset ids: no need to probe for a free name before each write.
        "file_overwrite": True,
        "default_acl": None,
        # Current boto3 adds CRC checksums to every request by default, which R2 and other
        # S3-compatible services reject or mishandle: send them only where the API needs them.
        "client_config": Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    }
    if public_url:
        parsed = urlparse(public_url)
        options["custom_domain"] = (parsed.netloc + parsed.path).rstrip("/")
        options["url_protocol"] = f"{parsed.scheme}:"
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
