"""Starting in production: a refused configuration says why on one line and exits non-zero;
the documented production settings pass `manage.py check --deploy` with no warning."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from tests.workers import ROOT

# The README's production settings (services need not be reachable for a check).
PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "api.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://api.example.com",
    "DATABASE_URL": "postgres://user:password@127.0.0.1:5432/drama",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DEBUG"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"DEBUG": "true"}, "DEBUG is on"),
        ({"API_OPEN": "true"}, "API_OPEN is on"),
        ({"SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS must be an integer"),
    ],
)
def test_a_refused_production_start_says_why_on_one_line(change, reason):
    result = manage("check", **{**PRODUCTION, **change})

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and reason in lines[0]
    assert "Traceback" not in result.stderr


def test_the_documented_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_each_https_setting_can_be_turned_off():
    off = {"SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_SECONDS": "0"}
    result = manage("check", "--deploy", **PRODUCTION, **off)

    assert result.returncode == 0
    assert "security.W004" in result.stderr + result.stdout  # HSTS off, as asked
    assert "security.W008" in result.stderr + result.stdout  # no redirect, as asked
