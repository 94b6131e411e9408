"""Starting a drama from a premise in the admin: the same rules and service as the API."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from dramas.models import Drama
from generation.models import Job

pytestmark = pytest.mark.django_db
URL = "/admin/dramas/drama/from-premise/"


@pytest.fixture
def staff(staff_user) -> Client:
    staff_user.user_permissions.add(Permission.objects.get(codename="add_drama"))
    client = Client()
    client.force_login(staff_user)
    return client


def test_staff_start_a_drama_from_a_premise_and_land_on_its_page(staff):
    page = staff.get(URL)
    assert page.status_code == 200 and b"Write the script" in page.content

    response = staff.post(URL, {"premise": "A courier finds a letter from her future self.",
                                "episode_count": 2, "character_count": 3,
                                "scenes_per_episode": 2})  # fmt: skip

    drama = Drama.objects.get()
    assert drama.status == Drama.Status.WRITING
    assert response.status_code == 302
    assert response["Location"] == f"/admin/dramas/drama/{drama.pk}/change/"
    job = Job.objects.get(drama=drama)
    assert job.kind == Job.Kind.SCRIPT and job.status == Job.Status.QUEUED
    assert job.metadata["episode_count"] == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"premise": ""}, "premise"),
        ({"premise": "A heist.", "episode_count": 99}, "episode_count"),
        ({"premise": "A heist.", "character_count": 0}, "character_count"),
        ({"premise": "x" * 2001}, "premise"),
    ],
)
def test_bad_options_are_shown_on_the_form_and_nothing_is_made(staff, fields, field):
    body = {"episode_count": 3, "character_count": 4, "scenes_per_episode": 3, **fields}
    response = staff.post(URL, body)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Drama.objects.exists() and not Job.objects.exists()


def test_only_staff_who_may_add_dramas_see_it(client, django_user_model):
    assert client.get(URL).status_code == 302  # to the admin's login
    clerk = django_user_model.objects.create_user(username="clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.get(URL).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="add_drama"))
    assert client.get(URL).status_code == 200
