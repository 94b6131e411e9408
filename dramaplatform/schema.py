"""Touches to the generated OpenAPI schema that drf-spectacular cannot express itself."""

from __future__ import annotations


def premise_excludes_script(result: dict, generator, request, public) -> dict:
    """A body with `characters` or `episodes` is a whole drama, never a premise.

    Without this, a whole drama (which may carry a `premise`) would match both branches of the
    create body's `oneOf`, which then allows neither.
    """
    premise = result.get("components", {}).get("schemas", {}).get("PremiseInputRequest")
    if premise is not None:
        premise["not"] = {"anyOf": [{"required": ["characters"]}, {"required": ["episodes"]}]}
    return result
