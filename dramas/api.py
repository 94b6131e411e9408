"""What the drama API shares, and the list of dramas.

The reads and writes of one drama and its characters, episodes and scenes answer with each
entity's current media, so they are composed one level up (assets.script_api); the endpoints
that start background work are generation's.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from dramaplatform.api import (
    Pagination,
    error_responses,
    etag_for,
    expected_version,
    paginated,
    validated_query,
)
from dramas import selectors
from dramas.models import Drama
from dramas.serializers import DramaSummarySerializer

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag you read; a stale one is refused with 412.",
)
READ_ERRORS = error_responses(401, 404)
QUERY_ERRORS = error_responses(400, 401, 404)
WRITE_ERRORS = error_responses(400, 401, 404, 412, 413, 415)


class GenerationThrottle(ScopedRateThrottle):
    """Per-key limit on the endpoints that spend provider money; the rate is a setting."""

    scope_attr = "throttle_scope"

    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)


def with_etag(response: Response, drama: Drama) -> Response:
    response["ETag"] = etag_for(drama.version)
    return response


def if_match(request: Request) -> int | None:
    return expected_version(request.headers.get("If-Match"))


class ListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Drama.Status.choices, required=False)
    genre = serializers.CharField(max_length=60, required=False)
    search = serializers.CharField(max_length=200, required=False)


class DramaListView(APIView):
    """GET /dramas; generation's view of the same URL adds the POST that can start a job."""

    @extend_schema(
        operation_id="dramas_list",
        parameters=[ListQuery],
        responses={200: paginated(DramaSummarySerializer), **error_responses(400, 401, 404)},
        description="Your dramas, newest first (staff see all).",
    )
    def get(self, request: Request) -> Response:
        query = validated_query(ListQuery, request)
        dramas = selectors.drama_list(user=request.user, **query)
        paginator = Pagination()
        page = paginator.paginate_queryset(dramas, request, view=self)
        return paginator.get_paginated_response(DramaSummarySerializer(page, many=True).data)
