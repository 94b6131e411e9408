"""The OpenAPI schema and the Swagger UI."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from tests.conftest import openapi_schema

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
