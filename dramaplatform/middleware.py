"""The one error shape for API clients, also where Django answers before any API view does:
an unknown URL (in development Django's debug page lists every URL pattern), a Host that is
not allowed, an error page of Django's own."""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse

from dramaplatform.api import error_body

# Headers of the original answer that still apply to the error in JSON.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def wants_html(request: HttpRequest) -> bool:
    """A browser asks for HTML by name; an API client (curl's */*, a generated client's
    application/json, no Accept at all) does not."""
    return "text/html" in request.headers.get("Accept", "")


class JsonErrorsMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Django's pages: HTML, or the debug page's plain-text traceback.
        if (
            response.status_code < 400
            or "json" in response.get("Content-Type", "")
            or wants_html(request)
        ):
            return response
        return json_error(response)


def json_error(response: HttpResponse) -> JsonResponse:
    status = response.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    code = "internal_error" if status >= 500 else ""
    answer = JsonResponse(error_body(status, f"{phrase}.", code=code), status=status)
    for header in KEPT_HEADERS:
        if header in response:
            answer[header] = response[header]
    return answer
