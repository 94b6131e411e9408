"""Authentication and ownership through HTTP: API keys, bootstrap keys, open mode, the admin."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client

from accounts.models import ApiKey, hash_key
from accounts.services import SERVICE_USERNAME, api_key_create, api_key_revoke
from dramas.models import Drama
from generation.models import Job
from tests.conftest import CheckedClient, assert_error, drama_body

pytestmark = pytest.mark.django_db

BOOTSTRAP_KEY = "bootstrap-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The users of conftest have passwords; a slow hasher would dominate these small tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_with(*, bearer: str | None = None, x_api_key: str | None = None) -> CheckedClient:
    client = CheckedClient()
    headers = {}
    if bearer is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
    if x_api_key is not None:
        headers["HTTP_X_API_KEY"] = x_api_key
    client.credentials(**headers)
    return client


def assert_unauthenticated(response) -> dict:
    error = assert_error(response, 401)
    assert error["code"] == "not_authenticated"
    # A 401 tells the client how to authenticate; without it, it would be a 403.
    assert response["WWW-Authenticate"].startswith("Bearer")
    return error


@pytest.fixture
def admin_client(django_user_model) -> Client:
    admin = django_user_model.objects.create_superuser(
        username="boss", email="boss@example.com", password="pw-boss-123"
    )
    client = Client()
    client.force_login(admin)
    return client


# ---------------------------------------------------------------- the two headers
@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_it_accepts_a_users_key_in_either_header(user, header):
    _, raw = api_key_create(user=user, name="laptop")
    client = client_with(bearer=raw) if header == "bearer" else client_with(x_api_key=raw)

    created = client.post("/dramas", drama_body(), format="json")
    listed = client.get("/dramas")

    assert created.status_code == 201
    assert Drama.objects.get(public_id=created.json()["id"]).owner == user
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()["results"]] == [created.json()["id"]]


def test_it_accepts_the_bearer_scheme_in_any_case(user):
    _, raw = api_key_create(user=user, name="laptop")
    client = CheckedClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {raw}")

    assert client.get("/dramas").status_code == 200


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
@pytest.mark.parametrize(
    "key", ["dp_not-a-key-anyone-has", "x", "dp_" + "a" * 500], ids=["unknown", "short", "long"]
)
def test_it_refuses_an_unknown_key_with_401(user, header, key):
    client = client_with(bearer=key) if header == "bearer" else client_with(x_api_key=key)

    error = assert_unauthenticated(client.get("/dramas"))

    assert "not valid" in error["message"]


def test_it_refuses_a_revoked_key_with_401(user):
    key, raw = api_key_create(user=user, name="laptop")
    client = client_with(bearer=raw)
    assert client.get("/dramas").status_code == 200

    api_key_revoke(api_key=key)

    assert_unauthenticated(client.get("/dramas"))
    assert_unauthenticated(client.post("/dramas", drama_body(), format="json"))
    assert not Drama.objects.exists()


def test_it_refuses_the_key_of_a_deactivated_user(user):
    _, raw = api_key_create(user=user, name="laptop")
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert_unauthenticated(client_with(x_api_key=raw).get("/dramas"))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/dramas", None),
        ("post", "/dramas", {"premise": "A heist."}),
        ("get", "{d}", None),
        ("patch", "{d}", {"title": "Anonymous edit"}),
        ("delete", "{d}", None),
        ("get", "{d}/characters/char_001", None),
        ("get", "{d}/jobs", None),
        ("post", "{d}/critique", None),
    ],
)
def test_it_refuses_a_request_without_a_key_when_the_api_is_closed(
    anon, make_drama, method, path, body
):
    drama = make_drama()
    before = list(Drama.objects.values())

    response = getattr(anon, method)(path.format(d=f"/dramas/{drama['id']}"), body, format="json")

    error = assert_unauthenticated(response)
    assert "not provided" in error["message"]
    assert list(Drama.objects.values()) == before
    assert not Job.objects.exists()


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token x"])
def test_it_treats_an_authorization_header_without_a_bearer_key_as_no_key(anon, authorization):
    anon.credentials(HTTP_AUTHORIZATION=authorization)

    assert_unauthenticated(anon.get("/dramas"))


# ---------------------------------------------------------------- bootstrap keys and open mode
@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_it_lets_a_bootstrap_key_act_as_the_staff_service_account(
    settings, api, make_drama, header
):
    mine = make_drama()
    settings.API_KEYS = ["another-bootstrap-key-000000", BOOTSTRAP_KEY]
    service = (
        client_with(bearer=BOOTSTRAP_KEY)
        if header == "bearer"
        else client_with(x_api_key=BOOTSTRAP_KEY)
    )

    listed = service.get("/dramas")
    created = service.post("/dramas", drama_body(title="By the service"), format="json")
    patched = service.patch(f"/dramas/{mine['id']}", {"tone": "grim"}, format="json")

    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()["results"]] == [mine["id"]]
    assert created.status_code == 201
    owner = Drama.objects.get(public_id=created.json()["id"]).owner
    assert owner.username == SERVICE_USERNAME
    assert owner.is_staff
    assert patched.status_code == 200
    assert Drama.objects.get(public_id=mine["id"]).tone == "grim"


def test_it_refuses_a_key_that_is_not_among_the_bootstrap_keys(settings):
    settings.API_KEYS = [BOOTSTRAP_KEY]

    assert_unauthenticated(client_with(bearer=BOOTSTRAP_KEY + "x").get("/dramas"))
    assert_unauthenticated(client_with(bearer=BOOTSTRAP_KEY[:-1]).get("/dramas"))
    assert_unauthenticated(CheckedClient().get("/dramas"))


@pytest.mark.parametrize("configured", [[], [BOOTSTRAP_KEY]], ids=["no-bootstrap", "bootstrap"])
@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_it_refuses_a_key_with_non_ascii_characters_with_401(settings, configured, header):
    # Header bytes arrive decoded as latin-1, so a client can send any of these characters.
    settings.API_KEYS = configured
    key = "clé-" + BOOTSTRAP_KEY
    client = client_with(bearer=key) if header == "bearer" else client_with(x_api_key=key)

    assert_unauthenticated(client.get("/dramas"))


def test_it_lets_requests_without_a_key_through_in_open_mode(settings, anon, api, make_drama):
    mine = make_drama()
    settings.API_OPEN = True

    listed = anon.get("/dramas")
    created = anon.post("/dramas", drama_body(title="Open"), format="json")

    assert listed.status_code == 200
    # Open mode acts as the staff service account, which sees every drama.
    assert [d["id"] for d in listed.json()["results"]] == [mine["id"]]
    assert created.status_code == 201
    owner = Drama.objects.get(public_id=created.json()["id"]).owner
    assert owner.username == SERVICE_USERNAME


def test_it_still_refuses_a_wrong_key_in_open_mode(settings):
    settings.API_OPEN = True

    assert_unauthenticated(client_with(x_api_key="dp_wrong").get("/dramas"))


def test_it_still_acts_as_the_keys_owner_in_open_mode(settings, api, user, make_drama):
    settings.API_OPEN = True

    created = api.post("/dramas", drama_body(), format="json")

    assert Drama.objects.get(public_id=created.json()["id"]).owner == user


# ---------------------------------------------------------------- ownership
def test_it_lists_only_the_users_own_dramas(api, other_api, staff_api, make_drama):
    mine = make_drama(title="Mine")
    theirs = make_drama(other_api, title="Theirs")

    def listed(client) -> set[str]:
        body = client.get("/dramas").json()
        assert body["count"] == len(body["results"])
        return {d["id"] for d in body["results"]}

    assert listed(api) == {mine["id"]}
    assert listed(other_api) == {theirs["id"]}
    assert listed(staff_api) == {mine["id"], theirs["id"]}
    assert api.get("/dramas?search=Theirs").json()["count"] == 0


OTHERS_READS = [
    "{d}",
    "{d}/characters",
    "{d}/characters/char_001",
    "{d}/episodes",
    "{d}/episodes/ep_01",
    "{d}/episodes/ep_01/scenes",
    "{d}/episodes/ep_01/scenes/sc_01_01",
    "{d}/episodes/ep_01/scenes/sc_01_01/assets",
    "{d}/jobs",
    "{d}/jobs/{job}",
]


@pytest.mark.parametrize("path", OTHERS_READS)
def test_it_answers_404_not_403_for_another_users_drama(api, other_api, make_drama, path):
    theirs = make_drama(other_api)
    job = other_api.post(f"/dramas/{theirs['id']}/critique").json()["jobId"]
    url = path.format(d=f"/dramas/{theirs['id']}", job=job)
    assert other_api.get(url).status_code == 200

    response = api.get(url)

    error = assert_error(response, 404)
    assert error["code"] == "not_found"


def test_it_does_not_tell_another_users_drama_from_a_missing_one(api, other_api, make_drama):
    theirs = make_drama(other_api)

    hidden = api.get(f"/dramas/{theirs['id']}").json()
    missing = api.get("/dramas/drama_0000000000000000").json()

    assert hidden["error"]["code"] == missing["error"]["code"]
    assert hidden["error"]["message"].replace(theirs["id"], "?") == missing["error"][
        "message"
    ].replace("drama_0000000000000000", "?")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "{d}", {"title": "Stolen"}),
        ("delete", "{d}", None),
        ("patch", "{d}/characters/char_001", {"name": "Stolen"}),
        ("patch", "{d}/episodes/ep_01", {"title": "Stolen"}),
        ("patch", "{d}/episodes/ep_01/scenes/sc_01_01", {"title": "Stolen"}),
        ("post", "{d}/improve", {"feedback": "Make it mine."}),
        ("post", "{d}/critique", None),
    ],
)
def test_it_does_not_let_a_user_change_another_users_drama(
    api, other_api, make_drama, method, path, body
):
    theirs = make_drama(other_api)
    before = other_api.get(f"/dramas/{theirs['id']}").json()

    response = getattr(api, method)(path.format(d=f"/dramas/{theirs['id']}"), body, format="json")

    assert_error(response, 404)
    assert other_api.get(f"/dramas/{theirs['id']}").json() == before
    assert not Job.objects.exists()


def test_it_lets_staff_read_and_change_any_drama(api, staff_api, make_drama):
    mine = make_drama()

    read = staff_api.get(f"/dramas/{mine['id']}")
    nested = staff_api.get(f"/dramas/{mine['id']}/episodes/ep_01/scenes/sc_01_01")
    patched = staff_api.patch(f"/dramas/{mine['id']}", {"genre": "noir"}, format="json")

    assert read.status_code == 200
    assert read.json() == mine
    assert nested.status_code == 200
    assert patched.status_code == 200
    assert api.get(f"/dramas/{mine['id']}").json()["genre"] == "noir"


def test_it_does_not_find_a_job_of_another_users_drama_through_my_own(api, other_api, make_drama):
    mine = make_drama()
    theirs = make_drama(other_api)
    job = other_api.post(f"/dramas/{theirs['id']}/critique").json()["jobId"]

    assert_error(api.get(f"/dramas/{mine['id']}/jobs/{job}"), 404)
    assert api.get(f"/dramas/{mine['id']}/jobs").json()["count"] == 0


# ---------------------------------------------------------------- how keys are kept
def every_stored_value() -> str:
    """The text of every row of every table the project's models own."""
    rows = []
    for model in apps.get_models(include_auto_created=True):
        rows.extend(repr(row) for row in model.objects.values_list())
    return "\n".join(rows)


def test_it_stores_keys_hashed_and_never_raw(user):
    key, raw = api_key_create(user=user, name="laptop")
    client_with(bearer=raw).get("/dramas")

    key.refresh_from_db()
    assert key.key_hash == hash_key(raw) != raw
    assert key.prefix == raw[: len(key.prefix)]
    assert len(key.prefix) < len(raw) // 2
    assert raw not in every_stored_value()


def test_it_sets_last_used_at_when_a_key_is_used(user):
    key, raw = api_key_create(user=user, name="laptop")
    assert key.last_used_at is None

    client_with(x_api_key=raw).get("/dramas")

    key.refresh_from_db()
    assert key.last_used_at is not None
    other_key, _ = api_key_create(user=user, name="unused")
    assert ApiKey.objects.get(pk=other_key.pk).last_used_at is None


def test_it_does_not_set_last_used_at_for_a_revoked_key(user):
    key, raw = api_key_create(user=user, name="laptop")
    api_key_revoke(api_key=key)

    client_with(bearer=raw).get("/dramas")

    key.refresh_from_db()
    assert key.last_used_at is None


# ---------------------------------------------------------------- the admin
def test_the_admin_creates_a_key_and_shows_it_once(admin_client, user):
    response = admin_client.post(
        "/admin/accounts/apikey/add/", {"user": user.pk, "name": "ci"}, follow=True
    )

    assert response.status_code == 200
    shown = " ".join(str(m) for m in response.context["messages"])
    keys = re.findall(r"dp_[A-Za-z0-9_-]{20,}", shown)
    assert len(keys) == 1
    raw = keys[0]
    key = ApiKey.objects.get()
    assert key.user == user
    assert key.name == "ci"
    assert key.key_hash == hash_key(raw)
    assert raw not in every_stored_value()
    # Shown once: neither the list nor the change page shows it again.
    assert raw not in admin_client.get("/admin/accounts/apikey/").content.decode()
    change = admin_client.get(f"/admin/accounts/apikey/{key.pk}/change/")
    assert change.status_code == 200
    assert raw not in change.content.decode()
    # And it works on the API, as the user it was made for.
    created = client_with(bearer=raw).post("/dramas", drama_body(), format="json")
    assert created.status_code == 201
    assert Drama.objects.get(public_id=created.json()["id"]).owner == user


def test_the_admin_revoke_action_makes_a_key_stop_working(admin_client, user):
    key, raw = api_key_create(user=user, name="laptop")
    kept, kept_raw = api_key_create(user=user, name="desktop")
    assert client_with(bearer=raw).get("/dramas").status_code == 200

    response = admin_client.post(
        "/admin/accounts/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
        follow=True,
    )

    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert_unauthenticated(client_with(bearer=raw).get("/dramas"))
    assert client_with(bearer=kept_raw).get("/dramas").status_code == 200
    kept.refresh_from_db()
    assert kept.revoked_at is None


def test_the_admin_add_form_cannot_choose_the_key_or_its_hash(admin_client, user):
    admin_client.post(
        "/admin/accounts/apikey/add/",
        {"user": user.pk, "name": "ci", "key_hash": hash_key("chosen"), "prefix": "chosen"},
    )

    key = ApiKey.objects.get()
    assert key.key_hash != hash_key("chosen")
    assert_unauthenticated(client_with(bearer="chosen").get("/dramas"))


# ---------------------------------------------------------------- throttling
@pytest.fixture
def two_a_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"generation": "2/minute"},
    }
    cache.clear()
    yield
    cache.clear()


def test_it_throttles_generation_requests_per_user(two_a_minute, api, other_api):
    for n in range(2):
        assert api.post("/dramas", {"premise": f"Story {n}"}, format="json").status_code == 202

    third = api.post("/dramas", {"premise": "One too many"}, format="json")

    error = assert_error(third, 429)
    assert error["code"] == "throttled"
    assert 0 < error["details"]["retryAfterSeconds"] <= 60
    assert int(third["Retry-After"]) == error["details"]["retryAfterSeconds"]
    assert Drama.objects.count() == 2
    assert not Drama.objects.filter(premise="One too many").exists()
    # Reading is not throttled, and another user has a budget of their own.
    assert api.get("/dramas").status_code == 200
    assert other_api.post("/dramas", {"premise": "Mine"}, format="json").status_code == 202


def test_it_counts_improve_and_critique_against_the_same_budget(two_a_minute, api, make_drama):
    drama = make_drama()

    critique = api.post(f"/dramas/{drama['id']}/critique")
    improve = api.post(f"/dramas/{drama['id']}/improve", {"feedback": "More."}, format="json")
    again = api.post(f"/dramas/{drama['id']}/critique")

    # make_drama's POST counted too: the budget of two was spent before the improve.
    assert critique.status_code == 202
    assert_error(improve, 429)
    assert_error(again, 429)
    assert Job.objects.count() == 1
