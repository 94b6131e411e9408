"""The product's own errors, raised by services and selectors.

They know nothing of HTTP frameworks: each names the status and code the API answers with,
and the one exception handler (dramaplatform.api) turns them into the one error shape.
"""

from __future__ import annotations

import re


class DomainError(Exception):
    """A request that cannot be carried out; `message` says why, for the client."""

    status = 400
    code = "invalid"
    default_message = "The request cannot be carried out."

    def __init__(self, message: str = "", *, code: str = "", details: object = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.details = details if details is not None else {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    """Input at fault: `details` maps each field (as a path, e.g. `episodes[0].title`) to its
    problems; without a message, the first of them is the message."""

    default_message = ""

    def __init__(self, details: dict[str, list[str]] | list[str], message: str = ""):
        super().__init__(message or summary_of(details), details=details)


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_message = "You may not do this."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = "The resource is in a state that does not allow this."


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_failed"
    default_message = "The resource changed since you read it: fetch it again and retry."


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    default_message = "This type of file is not accepted."


def summary_of(details: object) -> str:
    """A one-line message naming the first field at fault, as clients spell it (camelCase)."""
    if isinstance(details, dict) and details:
        field, problem = next(iter(details.items()))
        while isinstance(problem, dict | list) and problem:
            if isinstance(problem, dict):
                sub, problem = next(iter(problem.items()))
                field = f"{field}.{sub}"
            else:
                problem = problem[0]
        if field == "non_field_errors":
            return str(problem)
        return f"Invalid input in {camel(field)}: {problem}"
    if isinstance(details, list) and details:
        return str(details[0])
    return "Invalid input."


def camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)
