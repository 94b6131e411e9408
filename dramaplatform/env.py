"""Typed readers for environment variables.

Every setting of the product is read through these helpers, so a bad value stops start-up with
a message that names the variable and says what was expected.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}

# Names whose values are never printed in full.
SECRET_NAMES: set[str] = set()


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_secret(name: str, default: str = "") -> str:
    """A value that is masked wherever the configuration is shown."""
    SECRET_NAMES.add(name)
    return env_str(name, default)


def env_url(name: str, default: str = "") -> str:
    value = env_str(name, default)
    if value:
        parsed = urlparse(value)
        if not parsed.scheme or not (parsed.netloc or parsed.path):
            # The value is left out: a malformed URL may still carry a password.
            raise ImproperlyConfigured(f"{name} must be a URL such as scheme://host/path")
    return value


def env_list(name: str) -> list[str]:
    return [item.strip() for item in env_str(name).split(",") if item.strip()]


def env_limits(name: str, default: dict[str, int]) -> dict[str, int]:
    """`key=number,key=number` pairs over the defaults; each number at least 1."""
    limits = dict(default)
    for item in env_list(name):
        key, sep, raw = item.partition("=")
        try:
            value = int(raw) if sep and key.strip() else 0
        except ValueError:
            value = 0
        if value < 1:
            raise ImproperlyConfigured(
                f"{name} must look like 'image=4,video:gemini=8' (limits of 1 or more), "
                f"got {item!r}"
            )
        limits[key.strip().lower()] = value
    return limits


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def mask(value: str) -> str:
    """Show only enough of a secret to tell two apart."""
    if not value:
        return ""
    if len(value) < 16:
        return "****"
    return f"{value[:4]}…{value[-2:]}"


def mask_url(value: str) -> str:
    """Hide the password of a URL such as DATABASE_URL."""
    parsed = urlparse(value)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":****@")
        return parsed._replace(netloc=netloc).geturl()
    return value
