from __future__ import annotations

import secrets


def public_id(prefix: str) -> str:
    """An opaque id such as `drama_3f9c0a1b2d4e6f70`, safe to show and to put in URLs."""
    return f"{prefix}_{secrets.token_hex(8)}"


def new_drama_id() -> str:
    return public_id("drama")


def new_job_id() -> str:
    return public_id("job")


def new_asset_id() -> str:
    return public_id("asset")
