"""The configuration summary shown by `manage.py show_config` and at worker start.

Settings know no app: the rows about providers come from `generation`, which passes them in.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from dramaplatform.env import SECRET_NAMES, mask, mask_url

Row = tuple[str, str]


def summary(*, providers: Sequence[Row] = ()) -> list[Row]:
    """(name, value) pairs of the running configuration, secrets masked; `providers` are the
    rows that describe the chosen provider of each kind, shown after the storage."""
    s = settings
    database = mask_url(s.DATABASE_URL) if s.DATABASE_URL else f"sqlite:///{s.SQLITE_PATH}"
    rows = [
        ("ENVIRONMENT", s.ENVIRONMENT),
        ("DEBUG", str(s.DEBUG)),
        ("SECRET_KEY", s.SECRET_KEY),
        ("database", database),
        ("task broker", f"redis {mask_url(s.REDIS_URL)}" if s.REDIS_URL else "django-q2 ORM"),
        ("workers", str(s.Q_CLUSTER["workers"])),
        ("API authentication", "open (development, no key)" if s.API_OPEN else "API keys"),
        ("API_KEYS", f"{len(s.API_KEYS)} bootstrap key(s)"),
        ("media storage", s.MEDIA_STORAGE),
        *providers,
        ("OPENAI_API_MODE", s.OPENAI_API_MODE),
        ("OPENAI_API_KEY", s.OPENAI_API_KEY),
        ("OPENAI_BASE_URL", mask_url(s.OPENAI_BASE_URL) or "(OpenAI)"),
        ("GEMINI_API_KEY", s.GEMINI_API_KEY),
        ("GEMINI_API_BASE", mask_url(s.GEMINI_API_BASE) or "(Google)"),
        ("SORA_API_KEY", s.SORA_API_KEY),
        ("SORA_API_BASE", mask_url(s.SORA_API_BASE) or "(not set)"),
        ("media public URL", s.MEDIA_PUBLIC_URL or "(signed URLs)"),
        ("R2_ACCESS_KEY_ID", s.R2_ACCESS_KEY_ID),
        ("R2_SECRET_ACCESS_KEY", s.R2_SECRET_ACCESS_KEY),
        ("S3_ACCESS_KEY_ID", s.S3_ACCESS_KEY_ID),
        ("S3_SECRET_ACCESS_KEY", s.S3_SECRET_ACCESS_KEY),
        ("DEFAULT_ASPECT_RATIO", s.DEFAULT_ASPECT_RATIO),
        ("DEFAULT_VIDEO_DURATION", f"{s.DEFAULT_VIDEO_DURATION} s"),
        ("MAX_RETRIES", str(s.MAX_RETRIES)),
    ]
    return [(name, mask(value) if name in SECRET_NAMES else value) for name, value in rows]


def summary_text(*, providers: Sequence[Row] = ()) -> str:
    """The summary as aligned text, one row a line."""
    rows = summary(providers=providers)
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value or '(not set)'}" for name, value in rows)
