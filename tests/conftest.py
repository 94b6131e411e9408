"""Fixtures shared by the whole suite.

Every response that goes through the `api` fixture is checked against the OpenAPI schema, so
the schema is tested to describe the bodies the API really sends.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import uuid
from collections.abc import Callable

import pytest
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient

from accounts.services import api_key_create

# ---------------------------------------------------------------- no network but loopback
_real_connect = socket.socket.connect


def _loopback_only(sock: socket.socket, address) -> object:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = ipaddress.ip_address(socket.gethostbyname(host))
        if not ip.is_loopback:
            raise OSError(f"tests may not connect to {host}: only loopback is allowed")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True)
def _no_outgoing_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture(autouse=True)
def _closed_api(settings):
    # Tests authenticate explicitly; open development mode is tested on its own.
    settings.API_OPEN = False
    settings.API_KEYS = []


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _generous_throttle(settings):
    # The throttle has a test of its own; elsewhere it must not get in the way.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"generation": "10000/minute"},
    }


# ---------------------------------------------------------------- users and keys
@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="writer", password="pw-writer-1")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="stranger", password="pw-stranger-1")


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        username="producer", password="pw-producer-1", is_staff=True
    )


# ---------------------------------------------------------------- the schema check
_SCHEMA: dict | None = None


def openapi_schema() -> dict:
    global _SCHEMA
    if _SCHEMA is None:
        client = APIClient()
        response = client.get("/openapi.json", HTTP_ACCEPT="application/json")
        assert response.status_code == 200, response.content
        _SCHEMA = json.loads(response.content)
    return _SCHEMA


def _operation(schema: dict, method: str, path: str) -> dict | None:
    # Literal segments win over parameters: /asset-library/list is not /asset-library/{id}.
    for template, operations in sorted(schema["paths"].items(), key=lambda p: p[0].count("{")):
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return operations[method.lower()]
    return None


def assert_matches_schema(method: str, path: str, response) -> None:
    """The response's status and body are the ones the schema declares for the operation."""
    schema = openapi_schema()
    operation = _operation(schema, method, path.split("?")[0])
    if operation is None and response.status_code == 405:
        return
    assert operation is not None, f"{method} {path} is not in the OpenAPI schema"
    declared = operation["responses"]
    assert str(response.status_code) in declared, (
        f"{method} {path} answered {response.status_code}, which the schema does not declare "
        f"(it declares {sorted(declared)})"
    )
    content = declared[str(response.status_code)].get("content")
    if not content:
        assert not response.content, f"{method} {path} sent a body the schema does not declare"
        return
    if "application/json" not in content:
        assert response["Content-Type"].split(";")[0] in content, (method, path)
        return
    body_schema = content["application/json"]["schema"]
    validator = Draft202012Validator({**body_schema, "components": schema["components"]})
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, (
        f"{method} {path} {response.status_code} body does not match the schema: "
        + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    )


def assert_request_matches_schema(method: str, path: str, body: bytes) -> None:
    """A JSON body the API accepted is one the schema describes as valid."""
    schema = openapi_schema()
    operation = _operation(schema, method, path.split("?")[0])
    content = (operation or {}).get("requestBody", {}).get("content", {})
    assert "application/json" in content, f"{method} {path} accepts JSON the schema omits"
    body_schema = content["application/json"]["schema"]
    validator = Draft202012Validator({**body_schema, "components": schema["components"]})
    errors = list(validator.iter_errors(json.loads(body)))
    assert not errors, f"{method} {path} accepted a body its schema refuses: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5]
    )


class CheckedClient(APIClient):
    """An API client whose every response is checked against the OpenAPI schema, as is every
    JSON request body the API accepted."""

    def generic(self, method, path, data="", content_type="application/octet-stream", **kwargs):
        response = super().generic(method, path, data, content_type, **kwargs)
        if data and content_type == "application/json" and 200 <= response.status_code < 300:
            assert_request_matches_schema(method, path, data)
        # A streamed answer is a file (an asset that is JSON, say), not an API body.
        if (
            response.status_code != 500
            and not response.streaming
            and response.get("Content-Type", "").startswith("application/json")
            or response.status_code == 204
        ):
            assert_matches_schema(method, path, response)
        return response


@pytest.fixture
def anon() -> CheckedClient:
    return CheckedClient()


@pytest.fixture
def client_for(db) -> Callable[..., CheckedClient]:
    """A client authenticated with a fresh API key of the given user."""

    def make(user, *, header: str = "bearer") -> CheckedClient:
        _, raw = api_key_create(user=user, name="test")
        client = CheckedClient()
        if header == "bearer":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        else:
            client.credentials(HTTP_X_API_KEY=raw)
        return client

    return make


@pytest.fixture
def api(client_for, user) -> CheckedClient:
    return client_for(user)


@pytest.fixture
def staff_api(client_for, staff_user) -> CheckedClient:
    return client_for(staff_user)


@pytest.fixture
def other_api(client_for, other_user) -> CheckedClient:
    return client_for(other_user)


# ---------------------------------------------------------------- drama bodies
def drama_body(episodes: int = 2, scenes: int = 2, characters: int = 3, title: str = "") -> dict:
    """A full drama JSON body (camelCase, as clients send it)."""
    cast = [
        {
            "id": f"char_{c + 1:03d}",
            "name": f"Person {c + 1}",
            "role": "lead" if c == 0 else "support",
            "description": f"Character number {c + 1}.",
            "appearance": f"tall, {c + 20} years old",
        }
        for c in range(characters)
    ]
    return {
        "title": title or f"Drama {episodes}x{scenes}x{characters}",
        "premise": "Two rivals inherit the same restaurant.",
        "logline": "A kitchen war.",
        "genre": "comedy",
        "tone": "playful",
        "characters": cast,
        "episodes": [
            {
                "title": f"Episode {e + 1}",
                "synopsis": f"Things happen in episode {e + 1}.",
                "scenes": [
                    {
                        "title": f"Scene {s + 1}",
                        "location": "kitchen",
                        "timeOfDay": "night",
                        "description": "They argue.",
                        "visualPrompt": "a busy kitchen",
                        "characters": list(dict.fromkeys([
                            cast[(e + s) % characters]["id"],
                            cast[(e + s + 1) % characters]["id"],
                        ])),
                        "dialogue": [
                            {"character": cast[(e + s) % characters]["id"], "line": "Out."},
                            {"character": cast[(e + s + 1) % characters]["id"], "line": "No."},
                        ],
                        "targetDuration": 8,
                    }
                    for s in range(scenes)
                ],
            }
            for e in range(episodes)
        ],
    }  # fmt: skip


@pytest.fixture
def make_drama(api) -> Callable[..., dict]:
    def make(client: APIClient | None = None, **size) -> dict:
        response = (client or api).post("/dramas", drama_body(**size), format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return make


def assert_error(response, status: int, field: str | None = None) -> dict:
    """The response is the one error shape with this status (naming `field` if given)."""
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    if field is not None:
        assert any(field in key for key in body["error"]["details"]), body
    return body["error"]


# ---------------------------------------------------------------- media storage, both kinds
class MediaStore:
    """Reads back what the product wrote, going around it: boto3 for S3, the disk for local."""

    def __init__(self, kind: str, *, root=None, server=None, bucket: str = "", prefix: str = ""):
        self.kind, self.root, self.server = kind, root, server
        self.bucket, self.prefix = bucket, prefix

    def keys(self) -> list[str]:
        if self.kind == "s3":
            return self.server.keys(self.bucket, self.prefix)
        if not self.root.exists():
            return []
        return sorted(
            str(path.relative_to(self.root)) for path in self.root.rglob("*") if path.is_file()
        )

    def read(self, key: str) -> bytes:
        if self.kind == "s3":
            return self.server.client.get_object(Bucket=self.bucket, Key=self.prefix + key)[
                "Body"
            ].read()
        return (self.root / key).read_bytes()

    def content_type(self, key: str) -> str | None:
        if self.kind == "s3":
            head = self.server.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
            return head["ContentType"]
        return None


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    from tests.storage import SeaweedServer

    server = SeaweedServer(tmp_path_factory.mktemp("seaweed"))
    server.bucket = server.new_bucket()
    yield server
    server.stop()


@pytest.fixture(params=["local", "s3"])
def media(request, settings, tmp_path) -> MediaStore:
    """Runs the test once on local files and once on a fresh bucket of a real S3 server."""
    if request.param == "local":
        return MediaStore("local", root=settings.MEDIA_ROOT)
    return use_bucket(settings, request.getfixturevalue("seaweed"))


def use_bucket(settings, server, *, public_url: str = "") -> MediaStore:
    """Points media storage at a folder of its own in the run's bucket on the S3 server."""
    from dramaplatform.storage_settings import s3_storage
    from tests.storage import ACCESS_KEY, SECRET_KEY

    prefix = f"{uuid.uuid4().hex[:12]}/"
    storage = s3_storage(
        bucket=server.bucket,
        endpoint=server.endpoint,
        key_id=ACCESS_KEY,
        secret=SECRET_KEY,
        region="us-east-1",
        public_url=public_url,
    )
    storage["OPTIONS"]["location"] = prefix.rstrip("/")
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    settings.MEDIA_PUBLIC_URL = public_url
    return MediaStore("s3", server=server, bucket=server.bucket, prefix=prefix)
