"""API authentication: per-user keys, the bootstrap `API_KEYS`, and open development mode."""

from __future__ import annotations

import secrets

from django.conf import settings
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from accounts.models import ApiKey, hash_key
from accounts.services import api_key_touch, service_user


def key_from_request(request: Request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    value = request.META.get("HTTP_X_API_KEY", "").strip()
    return value or None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request):
        raw = key_from_request(request)
        if raw is None:
            return None
        # Compare with every bootstrap key so the time taken does not tell which matched.
        given = raw.encode()
        if any([secrets.compare_digest(given, known.encode()) for known in settings.API_KEYS]):
            return service_user(), None
        key = (
            ApiKey.objects.select_related("user")
            .filter(key_hash=hash_key(raw), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if key is None:
            raise exceptions.AuthenticationFailed("The API key is not valid or was revoked.")
        api_key_touch(api_key=key)
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class OpenAccessAuthentication(authentication.BaseAuthentication):
    """In development with no key configured, requests without a key act as the service user."""

    def authenticate(self, request: Request):
        if settings.API_OPEN:
            return service_user(), None
        return None


class IsApiUser(permissions.BasePermission):
    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)
