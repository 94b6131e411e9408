"""Configuration: read from the environment in one place, checked at start, shown masked.

The start-up tests run `manage.py` in a subprocess with a clean environment, because settings
are read once per process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from dramaplatform import env
from dramaplatform.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_secret,
    env_str,
    env_url,
    mask,
    mask_url,
)

REPO = Path(__file__).resolve().parent.parent
# Only what a process needs to run; every setting of the product is left out.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")

SECRET_KEY = "sk-django-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"
OPENAI_KEY = "sk-proj-openai-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
GEMINI_KEY = "AIzaSyGeminiKey-1234567890abcdefghijkl"
PRODUCTION = {"ENVIRONMENT": "production", "SECRET_KEY": SECRET_KEY, "DEBUG": "false"}


def manage(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    """Runs manage.py with only `variables` set, and every file it writes under tmp_path."""
    environment = {k: v for k, v in os.environ.items() if k in PASSED_THROUGH}
    environment.update(
        SQLITE_PATH=str(tmp_path / "db" / "db.sqlite3"),
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        OUTPUTS_DIR=str(tmp_path / "outputs"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    environment.update(variables)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def error_of(result: subprocess.CompletedProcess) -> str:
    """The one line of stderr that says why the start was refused (no traceback)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def summary_of(result: subprocess.CompletedProcess) -> dict[str, str]:
    """show_config's output as {name: value}; names and values are two or more spaces apart."""
    assert result.returncode == 0, result.stderr
    rows = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in result.stdout.splitlines()]
    return {row[0]: row[1] for row in rows if len(row) == 2}


# ---------------------------------------------------------------- start-up in a subprocess
@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({"ENVIRONMENT": "production", "DEBUG": "false"}, "SECRET_KEY is not set"),
        ({**PRODUCTION, "DEBUG": "true"}, "DEBUG is on"),
        ({**PRODUCTION, "API_KEYS": "key-one", "API_OPEN": "true"}, "API_OPEN is on"),
    ],
    ids=["no-secret-key", "debug-on", "api-open"],
)
def test_it_refuses_to_start_in_production_on_an_unsafe_configuration(tmp_path, variables, reason):
    result = manage(tmp_path, "show_config", **variables)

    assert result.returncode != 0
    message = error_of(result)
    assert message.startswith("error: Refusing to start in production")
    assert reason in message
    assert "ENVIRONMENT" not in result.stdout


def test_it_names_every_reason_at_once_when_production_is_unsafe_in_several_ways(tmp_path):
    result = manage(tmp_path, "show_config", ENVIRONMENT="production", DEBUG="on", API_OPEN="1")

    assert result.returncode != 0
    message = error_of(result)
    for reason in ("SECRET_KEY is not set", "DEBUG is on", "API_OPEN is on"):
        assert reason in message


def test_it_starts_in_production_with_a_secret_key_debug_off_and_api_keys(tmp_path):
    variables = {**PRODUCTION, "API_KEYS": "key-one-raw-value,key-two-raw-value",
                 "ALLOWED_HOSTS": "drama.example.com"}  # fmt: skip

    checked = manage(tmp_path, "check", "--deploy", **variables)
    shown = manage(tmp_path, "show_config", **variables)

    assert checked.returncode == 0, checked.stderr
    summary = summary_of(shown)
    assert summary["ENVIRONMENT"] == "production"
    assert summary["DEBUG"] == "False"
    assert summary["API authentication"] == "API keys"
    assert summary["API_KEYS"] == "2 bootstrap key(s)"
    assert "key-one-raw-value" not in shown.stdout
    assert SECRET_KEY not in shown.stdout + shown.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("MAX_RETRIES", "abc"),
        ("PORT", "0"),
        ("DATABASE_URL", "not-a-url"),
        ("SCRIPT_PROVIDER", "nope"),
        ("ENVIRONMENT", "staging"),
    ],
)
def test_it_stops_on_a_bad_value_with_a_message_naming_the_variable(tmp_path, name, value):
    result = manage(tmp_path, "show_config", **{name: value})

    assert result.returncode != 0
    message = error_of(result)
    assert message.startswith("error: ")
    assert name in message
    # URLs may carry passwords, so their values are left out of the message.
    if name != "DATABASE_URL":
        assert value in message
    assert result.stdout == ""


def test_it_stops_on_a_database_url_of_an_unknown_kind_with_a_message_naming_it(tmp_path):
    # A typo in the scheme is the likeliest bad DATABASE_URL.
    result = manage(tmp_path, "show_config", DATABASE_URL="postgress://u:pw@127.0.0.1:5432/x")

    assert result.returncode != 0
    assert "DATABASE_URL" in error_of(result)


def test_it_does_not_print_the_password_of_a_malformed_database_url(tmp_path):
    result = manage(tmp_path, "show_config", DATABASE_URL="postgres//u:secretpw@127.0.0.1/x")

    assert result.returncode != 0
    assert "DATABASE_URL" in error_of(result)
    assert "secretpw" not in result.stderr + result.stdout


def test_it_shows_the_configuration_with_secrets_masked(tmp_path):
    sora_key = "sora-secret-key-0000111122223333"
    result = manage(
        tmp_path,
        "show_config",
        SECRET_KEY=SECRET_KEY,
        OPENAI_API_KEY=OPENAI_KEY,
        GEMINI_API_KEY=GEMINI_KEY,
        SORA_API_KEY=sora_key,
        GPT_MODEL="gpt-test-model-7",
        GEMINI_IMAGE_MODEL="gemini-test-image-3",
    )

    summary = summary_of(result)
    everything = result.stdout + result.stderr
    for secret in (SECRET_KEY, OPENAI_KEY, GEMINI_KEY, sora_key):
        assert secret not in everything
    assert summary["SECRET_KEY"] == mask(SECRET_KEY)
    assert summary["OPENAI_API_KEY"] == mask(OPENAI_KEY)
    assert summary["GEMINI_API_KEY"] == mask(GEMINI_KEY)
    assert summary["SORA_API_KEY"] == mask(sora_key)
    # With the keys set, each kind uses its remote service and names its model and price.
    assert summary["script provider"].startswith("openai — gpt-test-model-7")
    assert summary["image provider"].startswith("gemini — gemini-test-image-3")
    assert "no price" in summary["image provider"]
    assert summary["video provider"] == "gemini — gemini-omni-1.2-flash (per video second $0.1)"


def test_it_shows_a_postgres_database_url_with_the_password_masked(tmp_path):
    result = manage(tmp_path, "show_config", DATABASE_URL="postgres://u:secretpw@127.0.0.1:5432/x")

    summary = summary_of(result)
    assert summary["database"] == "postgres://u:****@127.0.0.1:5432/x"
    assert "secretpw" not in result.stdout + result.stderr


def test_it_switches_the_task_broker_to_redis_when_redis_url_is_set(tmp_path):
    result = manage(tmp_path, "show_config", REDIS_URL="redis://:redispw@127.0.0.1:6379/0")

    summary = summary_of(result)
    assert summary["task broker"] == "redis redis://:****@127.0.0.1:6379/0"
    assert "redispw" not in result.stdout


def test_it_runs_on_sqlite_and_the_orm_broker_with_nothing_set(tmp_path):
    result = manage(tmp_path, "show_config")

    summary = summary_of(result)
    assert summary["ENVIRONMENT"] == "development"
    assert summary["DEBUG"] == "True"
    assert summary["database"] == f"sqlite:///{tmp_path / 'db' / 'db.sqlite3'}"
    assert summary["task broker"] == "django-q2 ORM"
    assert summary["API authentication"] == "open (development, no key)"
    assert summary["script provider"] == "local — offline-script-1 (free)"
    assert summary["MAX_RETRIES"] == "2"
    assert summary["OPENAI_API_KEY"] == "(not set)"
    assert result.stderr == ""


# ---------------------------------------------------------------- the typed helpers
@pytest.mark.parametrize("raw", ["1", "true", "YES", " on ", "True"])
def test_it_reads_a_true_boolean(monkeypatch, raw):
    monkeypatch.setenv("DRAMA_TEST_FLAG", raw)

    assert env_bool("DRAMA_TEST_FLAG", default=False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "OFF", ""])
def test_it_reads_a_false_boolean(monkeypatch, raw):
    monkeypatch.setenv("DRAMA_TEST_FLAG", raw)

    assert env_bool("DRAMA_TEST_FLAG", default=True) is False


def test_it_gives_the_default_for_an_unset_boolean(monkeypatch):
    monkeypatch.delenv("DRAMA_TEST_FLAG", raising=False)

    assert env_bool("DRAMA_TEST_FLAG", default=True) is True
    assert env_bool("DRAMA_TEST_FLAG", default=False) is False


def test_it_refuses_a_boolean_it_cannot_read(monkeypatch):
    monkeypatch.setenv("DRAMA_TEST_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match=r"DRAMA_TEST_FLAG must be a boolean.*'maybe'"):
        env_bool("DRAMA_TEST_FLAG")


def test_it_reads_an_integer_and_falls_back_to_the_default_when_unset_or_blank(monkeypatch):
    monkeypatch.setenv("DRAMA_TEST_INT", " 42 ")
    assert env_int("DRAMA_TEST_INT", 7) == 42

    monkeypatch.setenv("DRAMA_TEST_INT", "  ")
    assert env_int("DRAMA_TEST_INT", 7) == 7

    monkeypatch.delenv("DRAMA_TEST_INT")
    assert env_int("DRAMA_TEST_INT", 7) == 7


@pytest.mark.parametrize("raw", ["abc", "4.5", "10s"])
def test_it_refuses_an_integer_it_cannot_read(monkeypatch, raw):
    monkeypatch.setenv("DRAMA_TEST_INT", raw)

    with pytest.raises(ImproperlyConfigured, match="DRAMA_TEST_INT must be an integer"):
        env_int("DRAMA_TEST_INT", 1)


def test_it_refuses_an_integer_below_its_minimum(monkeypatch):
    monkeypatch.setenv("DRAMA_TEST_INT", "-1")

    with pytest.raises(ImproperlyConfigured, match="DRAMA_TEST_INT must be at least 0, got -1"):
        env_int("DRAMA_TEST_INT", 2, minimum=0)
    monkeypatch.setenv("DRAMA_TEST_INT", "0")
    assert env_int("DRAMA_TEST_INT", 2, minimum=0) == 0


@pytest.mark.parametrize(
    "url",
    ["https://api.example.com/v1", "postgres://u:pw@127.0.0.1:5432/db", "sqlite:///tmp/db.sqlite3"],
)
def test_it_reads_a_url(monkeypatch, url):
    monkeypatch.setenv("DRAMA_TEST_URL", f" {url} ")

    assert env_url("DRAMA_TEST_URL") == url


def test_it_gives_the_default_for_an_unset_or_blank_url(monkeypatch):
    monkeypatch.delenv("DRAMA_TEST_URL", raising=False)
    assert env_url("DRAMA_TEST_URL", "https://default.example.com") == "https://default.example.com"

    monkeypatch.setenv("DRAMA_TEST_URL", "")
    assert env_url("DRAMA_TEST_URL") == ""


@pytest.mark.parametrize("raw", ["not-a-url", "://no-scheme", "example.com/path"])
def test_it_refuses_a_url_it_cannot_read(monkeypatch, raw):
    monkeypatch.setenv("DRAMA_TEST_URL", raw)

    with pytest.raises(ImproperlyConfigured, match="DRAMA_TEST_URL must be a URL"):
        env_url("DRAMA_TEST_URL")


def test_it_reads_a_choice_whatever_its_case(monkeypatch):
    monkeypatch.setenv("DRAMA_TEST_CHOICE", " Production ")

    assert env_choice("DRAMA_TEST_CHOICE", "development", ("development", "production")) == (
        "production"
    )


def test_it_gives_the_default_for_an_unset_or_blank_choice(monkeypatch):
    choices = ("development", "production")
    monkeypatch.delenv("DRAMA_TEST_CHOICE", raising=False)
    assert env_choice("DRAMA_TEST_CHOICE", "development", choices) == "development"

    monkeypatch.setenv("DRAMA_TEST_CHOICE", "")
    assert env_choice("DRAMA_TEST_CHOICE", "development", choices) == "development"


def test_it_refuses_a_choice_that_is_not_offered_and_lists_the_ones_that_are(monkeypatch):
    monkeypatch.setenv("DRAMA_TEST_CHOICE", "nope")

    with pytest.raises(ImproperlyConfigured) as caught:
        env_choice("DRAMA_TEST_CHOICE", "local", ("local", "openai"))

    message = str(caught.value)
    assert "DRAMA_TEST_CHOICE" in message
    assert "local, openai" in message
    assert "'nope'" in message


def test_it_reads_a_list_without_blanks(monkeypatch):
    monkeypatch.setenv("DRAMA_TEST_LIST", " a, b,, c ,")

    assert env_list("DRAMA_TEST_LIST") == ["a", "b", "c"]
    monkeypatch.delenv("DRAMA_TEST_LIST")
    assert env_list("DRAMA_TEST_LIST") == []


def test_it_strips_a_string_and_gives_the_default_when_unset(monkeypatch):
    monkeypatch.setenv("DRAMA_TEST_STR", "  gpt-5  ")
    assert env_str("DRAMA_TEST_STR") == "gpt-5"

    monkeypatch.delenv("DRAMA_TEST_STR")
    assert env_str("DRAMA_TEST_STR", "fallback") == "fallback"


def test_it_remembers_a_secret_by_name_so_the_summary_masks_it(monkeypatch):
    monkeypatch.setattr(env, "SECRET_NAMES", set())
    monkeypatch.setenv("DRAMA_TEST_SECRET", "hunter2-hunter2")

    assert env_secret("DRAMA_TEST_SECRET") == "hunter2-hunter2"
    assert env.SECRET_NAMES == {"DRAMA_TEST_SECRET"}


def test_it_masks_a_long_secret_to_a_hint_that_tells_two_apart():
    first = mask("sk-proj-abcdefghijklmnop-12")
    second = mask("sk-proj-abcdefghijklmnop-34")

    assert first == "sk-p…12"
    assert first != second
    assert "abcdefghijklmnop" not in first


@pytest.mark.parametrize("short", ["a", "12345678"])
def test_it_masks_a_short_secret_completely(short):
    assert mask(short) == "****"


def test_it_leaves_an_empty_secret_empty_so_it_reads_as_not_set():
    assert mask("") == ""


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgres://u:secretpw@127.0.0.1:5432/x", "postgres://u:****@127.0.0.1:5432/x"),
        ("redis://:redispw@127.0.0.1:6379/0", "redis://:****@127.0.0.1:6379/0"),
        ("postgres://u:p@ss:w0rd@db.internal/x", "postgres://u:****@db.internal/x"),
    ],
)
def test_it_masks_the_password_of_a_url(url, masked):
    assert mask_url(url) == masked


@pytest.mark.parametrize(
    "url", ["postgres://u@127.0.0.1/x", "redis://127.0.0.1:6379/0", "sqlite:///var/db.sqlite3"]
)
def test_it_leaves_a_url_without_a_password_as_it_is(url):
    assert mask_url(url) == url
