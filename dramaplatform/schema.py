"""Touches to the generated OpenAPI schema that drf-spectacular cannot express itself."""

from __future__ import annotations

from drf_spectacular.renderers import OpenApiJsonRenderer2, OpenApiYamlRenderer2
from drf_spectacular.views import SpectacularAPIView

from dramaplatform.api import AnyAccept


def premise_excludes_script(result: dict, generator, request, public) -> dict:
    """A body with `characters` or `episodes` is a whole drama, never a premise.

    Without this, a whole drama (which may carry a `premise`) would match both branches of the
    create body's `oneOf`, which then allows neither.
    """
    premise = result.get("components", {}).get("schemas", {}).get("PremiseInputRequest")
    if premise is not None:
        premise["not"] = {"anyOf": [{"required": ["characters"]}, {"required": ["episodes"]}]}
    return result


class JsonSchemaView(SpectacularAPIView):
    """`/openapi.json`: JSON (`application/json`) to every client: a fuzzer, a code
    generator, curl without headers."""

    renderer_classes = [OpenApiJsonRenderer2]
    content_negotiation_class = AnyAccept


class YamlSchemaView(SpectacularAPIView):
    """`/openapi.yaml`: the same schema in YAML (`application/yaml`)."""

    renderer_classes = [OpenApiYamlRenderer2]
    content_negotiation_class = AnyAccept
