"""What every API view shares: the one error shape (domain errors mapped to HTTP),
pagination, ETags."""

from __future__ import annotations

import logging

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from djangorestframework_camel_case.util import underscoreize
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from dramaplatform.errors import DomainError, InvalidInput, NotFound, PayloadTooLarge, summary_of

logger = logging.getLogger(__name__)


CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


class AnyAccept(BaseContentNegotiation):
    """For views that answer in one format whatever the Accept header says (a file download,
    the schema): the view's first renderer, never 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def error_body(status_code: int, message: str, details: object = None, code: str = "") -> dict:
    return {
        "error": {
            "code": code or CODES.get(status_code, "error"),
            "message": message,
            "details": details if details is not None else {},
        }
    }


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """The one error shape for the product's errors, Django's and DRF's alike."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, DjangoValidationError):
        exc = InvalidInput(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, DomainError):
        set_rollback()
        body = error_body(exc.status, exc.message, exc.details, exc.code)
        return Response(body, status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        details = response.data
        message = summary_of(details)
    else:
        details = {}
        message = str(response.data.get("detail", "")) if isinstance(response.data, dict) else ""
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            details = {"retryAfterSeconds": int(exc.wait)}
    response.data = error_body(response.status_code, message, details)
    return response


def json_400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    # Django's own 400s: a Host header that is not allowed, a malformed request.
    reason = (
        "The request's Host is not one this server answers for."
        if isinstance(exception, DisallowedHost)
        else "Bad request."
    )
    return JsonResponse(error_body(400, reason, code="bad_request"), status=400)


def json_403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(403, "Permission denied."), status=403)


def json_404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(404, "Not found."), status=404)


def json_500(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body(500, "Internal error.", code="internal_error"), status=500)


class Pagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "pageSize"
    max_page_size = 100


# Serializers that describe the error shape in the OpenAPI schema.
class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField(help_text="Per-field problems for 400; otherwise empty.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "Invalid input: `details` names each field and why.",
        401: "No or invalid API key.",
        403: "Not allowed.",
        404: "Not found, or not yours.",
        409: "Conflicting state.",
        412: "Stale If-Match.",
        413: "Request body too large.",
        415: "Unsupported media type.",
        429: "Throttled.",
    }
    return {c: OpenApiResponse(ErrorSerializer, description=descriptions[c]) for c in codes}


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header asks for; None when absent or `*`."""
    if not if_match or if_match.strip() == "*":
        return None
    value = if_match.split(",")[0].strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    try:
        return int(value)
    except ValueError:
        # An ETag we never sent cannot match the current one.
        return -1


def paginated(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The page shape of Pagination, around items of `serializer_class`, for the schema."""
    name = f"Paginated{serializer_class.__name__.removesuffix('Serializer')}List"
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


def validated(serializer_class: type[serializers.Serializer], data: object, **kwargs) -> dict:
    """The serializer's validated data; a body that is not a JSON object is refused too."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def validated_query(serializer_class: type[serializers.Serializer], request) -> dict:
    """The query string, validated; its camelCase names are read as the serializer's."""
    return validated(serializer_class, underscoreize(request.query_params.dict()))
