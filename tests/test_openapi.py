"""The OpenAPI schema and the Swagger UI."""

from __future__ import annotations

import functools
import io
import json
import re
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from PIL import Image
from rest_framework.test import APIClient

from accounts.services import api_key_create
from assets.detect import NAME_EXTENSIONS
from tests.conftest import openapi_schema, use_bucket

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("get", "/dramas"), ("post", "/dramas"),
    ("get", "/dramas/{drama_id}"), ("patch", "/dramas/{drama_id}"),
    ("delete", "/dramas/{drama_id}"),
    ("post", "/dramas/{drama_id}/improve"), ("post", "/dramas/{drama_id}/critique"),
    ("get", "/dramas/{drama_id}/characters"),
    ("get", "/dramas/{drama_id}/characters/{character_id}"),
    ("patch", "/dramas/{drama_id}/characters/{character_id}"),
    ("get", "/dramas/{drama_id}/episodes"),
    ("get", "/dramas/{drama_id}/episodes/{episode_id}"),
    ("patch", "/dramas/{drama_id}/episodes/{episode_id}"),
    ("get", "/dramas/{drama_id}/episodes/{episode_id}/scenes"),
    ("get", "/dramas/{drama_id}/episodes/{episode_id}/scenes/{scene_id}"),
    ("patch", "/dramas/{drama_id}/episodes/{episode_id}/scenes/{scene_id}"),
    ("get", "/dramas/{drama_id}/episodes/{episode_id}/scenes/{scene_id}/assets"),
    ("get", "/dramas/{drama_id}/episodes/{episode_id}/scenes/{scene_id}/assets/{asset_id}"),
    ("get", "/dramas/{drama_id}/jobs"), ("get", "/dramas/{drama_id}/jobs/{job_id}"),
}  # fmt: skip


def test_the_schema_is_valid_openapi_and_covers_every_endpoint(anon):
    schema = openapi_schema()

    validate(schema)
    found = {(m, p) for p, ops in schema["paths"].items() for m in ops if m != "parameters"}
    assert OPERATIONS <= found


def test_every_operation_declares_the_error_shape_and_authentication(anon):
    schema = openapi_schema()
    error = schema["components"]["schemas"]["Error"]

    assert error["properties"]["error"]["$ref"] == "#/components/schemas/ErrorDetail"
    for path, operations in schema["paths"].items():
        if not path.startswith("/dramas"):
            continue
        for method, operation in operations.items():
            assert "401" in operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error", (method, path, status)
            assert {"bearer": []} in operation["security"], (method, path)


def test_the_create_endpoint_documents_both_bodies_and_both_answers(anon):
    operation = openapi_schema()["paths"]["/dramas"]["post"]

    request = operation["requestBody"]["content"]["application/json"]["schema"]
    assert request["$ref"] == "#/components/schemas/DramaCreateRequest"
    assert set(operation["responses"]) >= {"201", "202", "400"}
    accepted = operation["responses"]["202"]["content"]["application/json"]["schema"]
    assert accepted["$ref"] == "#/components/schemas/JobAccepted"
    job = openapi_schema()["components"]["schemas"]["JobAccepted"]
    assert set(job["properties"]) == {"jobId", "dramaId", "status", "message"}


def test_the_swagger_ui_is_served_with_its_own_assets(client):
    page = client.get("/docs")

    assert page.status_code == 200
    assert b"swagger-ui" in page.content
    assert b"/openapi.json" in page.content
    # Every script, style sheet and icon comes from our own static files, none from a CDN.
    links = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
    assert links
    assert all(link.startswith("/static/") for link in links), links


@pytest.mark.parametrize("accept", [None, "*/*", "application/yaml", "text/html"])
def test_the_json_schema_is_json_whatever_the_client_accepts(client, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get("/openapi.json", **headers)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["openapi"].startswith("3.")


def test_the_schema_is_also_served_as_yaml(client):
    response = client.get("/openapi.yaml")

    assert response.status_code == 200
    assert "yaml" in response["Content-Type"]
    assert response.content.startswith(b"openapi: 3.")


# ---------------------------------------------------------------- a download is the file itself
PICTURE = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10"]
SOUND = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000"]
H264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
# What ffmpeg makes each video and sound type from: real media, as uploads are decoded.
FFMPEG = {
    "video/mp4": [*PICTURE, *H264],
    "video/quicktime": [*PICTURE, *H264],
    "video/webm": [*PICTURE, "-c:v", "libvpx-vp9"],
    "audio/mpeg": [*SOUND, "-c:a", "libmp3lame"],
    "audio/wav": [*SOUND, "-c:a", "pcm_s16le"],
    "audio/ogg": [*SOUND, "-c:a", "libvorbis"],
}


@functools.cache
def sample(content_type: str) -> bytes:
    """One file of a type the library stores, as a client would upload it."""
    if content_type.startswith("image/"):
        buffer = io.BytesIO()
        Image.new("RGB", (9, 16), (20, 120, 200)).save(buffer, content_type.split("/")[1])
        return buffer.getvalue()
    if content_type == "application/json":
        return b'{"scene": "sc_01_01", "cues": [1, 2]}'
    if content_type == "text/plain":
        return "INT. KITCHEN – NIGHT\nThey argue.".encode()
    # MP4, QuickTime and WAV headers are written last, where a pipe cannot seek: a file.
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"sample.{sorted(NAME_EXTENSIONS[content_type])[0]}"
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin",
             *FFMPEG[content_type], "-t", "0.5", str(out)],
            check=True, timeout=60,
        )  # fmt: skip
        return out.read_bytes()


def _download() -> dict:
    return openapi_schema()["paths"]["/asset-library/{asset_id}"]["get"]


def _upload(api, content_type: str):
    name = f"sample.{sorted(NAME_EXTENSIONS[content_type])[0]}"
    body = {"file": SimpleUploadedFile(name, sample(content_type))}
    response = api.post("/asset-library/upload", body, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["contentType"] == content_type
    return response.json()


def test_the_download_declares_every_type_the_library_stores_as_the_file_itself(anon):
    content = _download()["responses"]["200"]["content"]

    assert set(content) == set(NAME_EXTENSIONS)
    for content_type, media in content.items():
        if content_type.split("/")[0] in ("image", "video", "audio"):
            assert media["schema"] == {"type": "string", "format": "binary"}, content_type
    assert content["text/plain"]["schema"] == {"type": "string"}
    # Whatever JSON was stored: no type, so any JSON value is valid.
    assert "type" not in content["application/json"]["schema"]
    assert "application/octet-stream" not in content


def test_the_download_declares_its_redirect_its_headers_and_its_errors(anon):
    responses = _download()["responses"]

    location = responses["302"]["headers"]["Location"]
    assert location["required"] is True
    assert location["schema"] == {"type": "string", "format": "uri"}
    assert "Content-Disposition" in responses["200"]["headers"]
    assert "content" not in responses["302"]
    for status in ("401", "404"):
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/Error", status


@pytest.fixture
def unchecked_api(user) -> APIClient:
    """The user's client without the schema check, which cannot read a streamed body."""
    _, raw = api_key_create(user=user, name="downloads")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.parametrize("content_type", sorted(NAME_EXTENSIONS))
def test_each_stored_type_downloads_as_a_type_the_schema_declares(api, unchecked_api, content_type):
    asset = _upload(api, content_type)

    response = unchecked_api.get(asset["downloadUrl"])

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    declared = _download()["responses"]["200"]
    assert all(header in response.headers for header in declared["headers"])
    body = b"".join(response.streaming_content)
    assert body == sample(content_type)
    if content_type == "application/json":
        Draft202012Validator(declared["content"][content_type]["schema"]).validate(json.loads(body))
    else:
        assert content_type in declared["content"]


def test_a_download_from_object_storage_is_the_declared_redirect(api, settings, seaweed):
    use_bucket(settings, seaweed)
    asset = _upload(api, "image/png")

    response = api.get(asset["downloadUrl"])

    assert response.status_code == 302
    declared = _download()["responses"]["302"]
    assert all(header in response.headers for header in declared["headers"])
    assert response["Location"].startswith(f"{seaweed.endpoint}/")


@pytest.mark.parametrize("accept", ["image/png", "image/avif,image/webp,*/*;q=0.8", "text/html"])
def test_a_download_answers_the_file_whatever_the_client_accepts(api, accept):
    asset = _upload(api, "image/png")

    response = api.get(asset["downloadUrl"], HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


# ---------------------------------------------------------------- names generators give
def _pascal(*parts: str) -> str:
    words = re.split(r"[^0-9A-Za-z]+", "_".join(parts))
    return "".join(word[:1].upper() + word[1:] for word in words if word)


def _is_inline_model(schema: object) -> bool:
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    types = schema.get("type", [])
    return "object" in (types if isinstance(types, list) else [types]) or any(
        key in schema for key in ("properties", "additionalProperties", "enum")
    )


def _inline_models(parent: str, schema: dict) -> set[str]:
    """The models a client generator makes of a component's inline objects and enums: named
    by the parent and the property (with `Item` for an array's items), as openapi-python-client
    and openapi-generator name them."""
    found = set()
    for prop, sub in schema.get("properties", {}).items():
        candidates = [
            (_pascal(parent, prop), sub),
            (_pascal(parent, prop, "item"), sub.get("items")),
        ]
        for name, inner in candidates:
            if _is_inline_model(inner):
                found |= {name} | _inline_models(name, inner)
    return found


def test_no_inline_object_takes_the_name_of_a_component(anon):
    components = openapi_schema()["components"]["schemas"]

    generated = {
        model: name for name, schema in components.items() for model in _inline_models(name, schema)
    }
    assert _inline_models("Asset", components["Asset"]) >= {"AssetMetadata", "AssetParameters"}
    assert {model: generated[model] for model in set(generated) & set(components)} == {}
    assert len({_pascal(name).lower() for name in components}) == len(components)


def test_the_asset_metadata_endpoint_answers_an_asset_record(anon):
    operation = openapi_schema()["paths"]["/asset-library/{asset_id}/metadata"]["get"]

    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/AssetRecord"}
    assert "AssetMetadata" not in openapi_schema()["components"]["schemas"]
