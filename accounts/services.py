from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, hash_key, new_raw_key

SERVICE_USERNAME = "service"
# last_used_at is informative; writing it on every request would cost a write per call.
LAST_USED_RESOLUTION = timedelta(minutes=5)


@transaction.atomic
def api_key_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiKey, str]:
    """Returns the key and its plain value, which is shown once and never stored."""
    raw = new_raw_key()
    key = ApiKey.objects.create(user=user, name=name, prefix=raw[:10], key_hash=hash_key(raw))
    return key, raw


def api_key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])


def api_key_touch(*, api_key: ApiKey) -> None:
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)


def service_user() -> AbstractBaseUser:
    """The bootstrap account that the keys of `API_KEYS` act as; staff, so it sees all."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=SERVICE_USERNAME, defaults={"is_staff": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
