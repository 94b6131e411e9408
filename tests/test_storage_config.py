"""Which media storage the environment selects, and how R2 is set up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOW = (
    "import json; from django.conf import settings; from django.core.files.storage import "
    "storages; s = storages['default']; o = settings.STORAGES['default']; c = o.get('OPTIONS', "
    "{}).get('client_config'); print(json.dumps({'class': type(s).__name__, "
    "'bucket': getattr(s, 'bucket_name', None), "
    "'endpoint': getattr(s, 'endpoint_url', None), 'region': getattr(s, 'region_name', None), "
    "'domain': getattr(s, 'custom_domain', None), 'request_checksum': c and "
    "c.request_checksum_calculation, 'response_checksum': c and c.response_checksum_validation, "
    "'summary': settings.MEDIA_STORAGE, 'public': settings.MEDIA_PUBLIC_URL}))"
)


def shown(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def storage_under(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("R2_", "S3_"))}
    clean.update(SQLITE_PATH=str(tmp_path / "db.sqlite3"), MEDIA_ROOT=str(tmp_path / "media"))
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_it_uses_local_files_when_nothing_is_set(tmp_path):
    result = storage_under(tmp_path)

    seen = shown(result)
    assert seen["class"] == "SignedFileSystemStorage"
    assert seen["summary"].startswith("local files in")


def test_it_uses_r2_with_the_settings_r2_needs(tmp_path):
    result = storage_under(
        tmp_path,
        R2_ACCOUNT_ID="0123abcd",
        R2_ACCESS_KEY_ID="key-id",
        R2_SECRET_ACCESS_KEY="secret-value-of-some-length",
        R2_PUBLIC_URL="https://media.example.com",
    )

    seen = shown(result)
    assert seen["class"] == "S3Storage"
    assert seen["bucket"] == "sfd-production"
    assert seen["endpoint"] == "https://0123abcd.r2.cloudflarestorage.com"
    assert seen["region"] == "auto"
    assert seen["domain"] == "media.example.com"
    assert seen["request_checksum"] == "when_required"
    assert seen["response_checksum"] == "when_required"
    assert seen["public"] == "https://media.example.com"
    assert "Cloudflare R2" in seen["summary"]


def test_it_refuses_an_incomplete_r2_configuration(tmp_path):
    result = storage_under(tmp_path, R2_ACCOUNT_ID="0123abcd")

    assert result.returncode != 0
    assert "R2_ACCESS_KEY_ID" in result.stderr


def test_it_uses_any_s3_service_through_the_generic_settings(tmp_path):
    result = storage_under(
        tmp_path,
        S3_BUCKET="my-media",
        S3_ENDPOINT_URL="http://127.0.0.1:9000",
        S3_ACCESS_KEY_ID="minio",
        S3_SECRET_ACCESS_KEY="minio-secret",
        S3_REGION="eu-west-1",
    )

    seen = shown(result)
    assert (seen["class"], seen["bucket"]) == ("S3Storage", "my-media")
    assert seen["endpoint"] == "http://127.0.0.1:9000"
    assert seen["region"] == "eu-west-1"
    assert seen["domain"] is None


@pytest.mark.django_db
def test_public_urls_use_the_public_domain_while_downloads_stay_signed(api, seaweed, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import use_bucket
    from tests.test_assets import png

    media = use_bucket(settings, seaweed, public_url="https://media.example.com")
    body = api.post(
        "/asset-library/upload",
        {"file": SimpleUploadedFile("a.png", png())},
        format="multipart",
    ).json()

    sidecar = json.loads(media.read(body["key"].replace(".png", "_metadata.json")))
    assert sidecar["publicUrl"] == f"https://media.example.com/{body['key']}"
    assert body["publicUrl"] == sidecar["publicUrl"]
    redirect = api.get(f"/asset-library/{body['id']}")
    assert redirect.status_code == 302
    assert redirect["Location"].startswith(media.server.endpoint)
    assert "X-Amz-Signature=" in redirect["Location"]
