"""API clients get the one error shape for every 4xx and 5xx, also where Django answers before
any API view: an unknown URL (Django's debug page in development), a Host that is not allowed,
a crash in development. Browsers asking for HTML still get Django's pages."""

from __future__ import annotations

import pytest
from django.test import Client

from assets import api as assets_api

pytestmark = pytest.mark.django_db

API_CLIENTS = {
    "json": {"HTTP_ACCEPT": "application/json"},
    "curl": {"HTTP_ACCEPT": "*/*"},
    "no accept header": {},
}


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    return error


@pytest.mark.parametrize("headers", API_CLIENTS.values(), ids=API_CLIENTS)
@pytest.mark.parametrize("debug", [True, False], ids=["development", "production"])
def test_an_unknown_url_answers_the_error_shape(settings, headers, debug):
    settings.DEBUG = debug
    response = Client().get("/no/such/endpoint", **headers)

    error = assert_error_shape(response, 404)
    assert error["code"] == "not_found"
    assert b"URL patterns" not in response.content  # the debug page lists every route


def test_a_browser_still_gets_the_debug_page_in_development(settings):
    settings.DEBUG = True
    response = Client().get("/no/such/endpoint", HTTP_ACCEPT="text/html,*/*;q=0.8")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("headers", API_CLIENTS.values(), ids=API_CLIENTS)
def test_a_host_that_is_not_allowed_answers_400_in_the_error_shape(settings, headers):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["api.example.com"]
    response = Client().get("/openapi.json", HTTP_HOST="elsewhere.example", **headers)

    error = assert_error_shape(response, 400)
    assert "Host" in error["message"]


@pytest.mark.parametrize("debug", [True, False], ids=["development", "production"])
def test_a_crash_answers_500_in_the_error_shape(settings, api, monkeypatch, debug):
    settings.DEBUG = debug

    def crash(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(assets_api.AssetListView, "get", crash)
    api.raise_request_exception = False
    response = api.get("/asset-library/list", HTTP_ACCEPT="application/json")

    error = assert_error_shape(response, 500)
    assert error["code"] == "internal_error"
    assert b"a bug" not in response.content and b"Traceback" not in response.content


def test_a_method_django_refuses_keeps_its_allow_header(settings, staff_user):
    settings.DEBUG = False
    client = Client()
    client.force_login(staff_user)
    # The admin's logout view allows only POST; Django itself answers the GET.
    response = client.get("/admin/logout/", HTTP_ACCEPT="application/json")

    assert_error_shape(response, 405)
    assert "POST" in response["Allow"]
