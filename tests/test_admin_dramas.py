"""The dramas' admin as the staff's workplace: the list with each drama's latest run, the
change page with the script beside its media, the generation actions, and "Regenerate…" on
characters, scenes and assets. Through the admin with the test client; runs are drained in
this process as workers would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags
from playwright.sync_api import expect, sync_playwright

from assets.models import Asset
from assets.storage import read_sidecar
from dramas.models import Character, Drama, Scene
from dramas.serializers import DramaCreateInput
from dramas.services import drama_create
from generation import runs, tasks
from generation.models import Job
from generation.providers.base import ProviderError
from generation.providers.local.image import LocalImageProvider
from tests.conftest import drama_body
from tests.test_assets_admin import _stored
from tests.test_browser import ARGS, CHROMIUM, log_in
from tests.test_dag import drain, generate, small_drama

pytestmark = pytest.mark.django_db

DRAMAS = "/admin/dramas/drama/"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "admin"


def _drama(api, **size) -> Drama:
    return Drama.objects.get(public_id=small_drama(api, **size)["id"])


def _produced(api, **size) -> Drama:
    """A drama whose whole run has been made."""
    drama = _drama(api, **size)
    assert drain(generate(api, drama.public_id)["id"]).status == Job.Status.COMPLETED
    return drama


def _messages(response) -> list[str]:
    """The messages the page shows, as text."""
    return [strip_tags(str(m)) for m in response.context["messages"]]


def _made(run: Job) -> set[tuple[str, str]]:
    """The nodes the run makes (not those it found made already)."""
    return {
        (j.node, j.target_key)
        for j in run.children.all()
        if not j.metadata.get("satisfied")
    }  # fmt: skip


def _change_form_data(response) -> dict:
    """The change form as the page shows it, ready to post back (main form and inlines)."""
    data: dict = {}

    def add(form) -> None:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None:
                continue
            if isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


# ---------------------------------------------------------------- the list
def test_the_list_shows_status_size_and_the_latest_runs_progress_and_cost(api, admin_client):
    drama = _drama(api, episodes=1, scenes=2, characters=2)
    run = Job.objects.get(public_id=generate(api, drama.public_id)["id"])
    nodes = list(run.children.order_by("id"))
    # 2 portraits, 2 auditions, 2 storyboards, 4 voiced lines, 2 clips, 1 music bed, 1 cut
    assert len(nodes) == 14
    for node, cost in zip(nodes[:3], (0.1, 0.25, 0.0), strict=True):
        node.status, node.metadata = Job.Status.COMPLETED, {**node.metadata, "costUsd": cost}
        node.save(update_fields=["status", "metadata"])
    nodes[3].status = Job.Status.FAILED
    nodes[3].save(update_fields=["status"])
    untouched = _drama(api, episodes=1, scenes=1, characters=1)

    page = admin_client.get(DRAMAS).content.decode()

    row = _row(page, drama)
    assert "Media produced" not in row and "Generating media" in row
    assert "2 characters," in row and "1 episode," in row and "2 scenes<" in row
    assert 'aria-valuenow="28"' in row and "28 %" in row  # 4 of 14 nodes finished
    assert f'href="/admin/generation/job/{run.pk}/change/"' in row
    assert "$0.35" in row
    assert "not generated yet" in _row(page, untouched)


def _row(page: str, drama: Drama) -> str:
    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.S)
    return next(r for r in rows if f'value="{drama.pk}"' in r)


def test_the_list_costs_the_same_number_of_queries_for_1_and_50_dramas(user, admin_client):
    def add_dramas(n: int) -> None:
        for i in range(n):
            serializer = DramaCreateInput(
                data=drama_body(episodes=1, scenes=1, characters=1, title=f"D{i}")
            )
            serializer.is_valid(raise_exception=True)
            runs.run_start(drama=drama_create(owner=user, data=serializer.validated_data))

    def queries_of_the_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = admin_client.get(DRAMAS)
        assert page.status_code == 200
        return len(queries)

    admin_client.get(DRAMAS)  # the session and content types, once
    add_dramas(1)
    one = queries_of_the_list()
    add_dramas(49)
    fifty = queries_of_the_list()

    assert Job.objects.filter(kind=Job.Kind.DAG).count() == 50
    assert one == fifty
    print(f"drama list: {one} queries for 1 drama, {fifty} for 50")


# ---------------------------------------------------------------- generate all
def test_generate_all_shows_the_dry_run_and_its_cost_before_anything_starts(api, admin_client):
    drama = _produced(api, episodes=1, scenes=2, characters=2)
    scene = Scene.objects.get(drama=drama, key="sc_01_02")
    api.patch(f"/dramas/{drama.public_id}/episodes/ep_01/scenes/sc_01_02",
              {"visualPrompt": "A rooftop at dawn"}, format="json")  # fmt: skip

    page = admin_client.post(DRAMAS, {"action": "generate", "_selected_action": [drama.pk]})

    assert page.status_code == 200
    assert page.templates[0].name == "admin/dramas/drama/generate_confirmation.html"
    html = page.content.decode()
    assert not Job.objects.filter(kind=Job.Kind.DAG).exclude(status="completed").exists()
    plan = {r["name"]: (r["to_make"], r["satisfied"]) for r in page.context["planned"][0]["rows"]}
    # The edited scene's storyboard, its clip and the cut; the rest is kept (its four lines'
    # audio and the music bed too).
    assert plan == {"portraits": (0, 2), "auditions": (0, 2), "storyboards": (1, 1),
                    "voiced lines": (0, 4), "clips": (1, 1), "music beds": (0, 1),
                    "episode cuts": (1, 0)}  # fmt: skip
    assert '<td>Storyboards</td><td class="number">1</td><td class="number">1</td>' in html
    assert "image:local" in html and "video:local" in html and "<td>Total</td>" in html
    assert 'name="post" value="yes"' in html

    started = admin_client.post(
        DRAMAS, {"action": "generate", "_selected_action": [drama.pk], "post": "yes"}, follow=True
    )

    run = Job.objects.filter(kind=Job.Kind.DAG).latest("id")
    assert run.status == Job.Status.RUNNING
    assert _made(run) == {("storyboard", scene.key), ("clip", scene.key), ("episode_cut", "ep_01")}
    assert any(f"started run {run.public_id} (3 to make, 11 already made)" in m
               for m in _messages(started))  # fmt: skip


def test_generate_all_says_which_dramas_will_not_start_and_why(api, admin_client, user):
    running = _drama(api, episodes=1, scenes=1, characters=1)
    run = Job.objects.get(public_id=generate(api, running.public_id)["id"])
    writing = Drama.objects.create(owner=user, title="Still writing", status="writing")
    fresh = _drama(api, episodes=1, scenes=1, characters=1)
    chosen = [running.pk, writing.pk, fresh.pk]

    page = admin_client.post(DRAMAS, {"action": "generate", "_selected_action": chosen})
    html = page.content.decode()

    assert (
        f"Will not start: A generation run of this drama is in progress ({run.public_id})" in html
    )
    assert "Will not start: The drama has no script to work on yet" in html
    # Only the drama that can start is posted back.
    assert re.findall(r'name="_selected_action" value="(\d+)"', html) == [str(fresh.pk)]

    # Posted anyway (a stale page), they are refused with a message, not an error page.
    answer = admin_client.post(
        DRAMAS, {"action": "generate", "_selected_action": chosen, "post": "yes"}, follow=True
    )
    assert answer.status_code == 200
    said = " ".join(_messages(answer))
    assert "in progress" in said and "no script to work on yet" in said
    assert Job.objects.filter(kind=Job.Kind.DAG, drama=running).count() == 1
    assert Job.objects.filter(kind=Job.Kind.DAG, drama=fresh).count() == 1


def test_generate_all_from_the_change_page_comes_back_to_it(api, admin_client):
    drama = _drama(api, episodes=1, scenes=1, characters=1)
    change = f"{DRAMAS}{drama.pk}/change/"

    assert f'href="{DRAMAS}{drama.pk}/generate/"' in admin_client.get(change).content.decode()
    page = admin_client.get(f"{DRAMAS}{drama.pk}/generate/").content.decode()
    assert f'name="next" value="{change}"' in page
    confirmed = {"action": "generate", "_selected_action": [drama.pk], "post": "yes"}
    started = admin_client.post(DRAMAS, {**confirmed, "next": change})
    offsite = admin_client.post(DRAMAS, {**confirmed, "next": "https://example.com/"})

    assert started.status_code == 302 and started["Location"] == change
    assert offsite.status_code == 302 and offsite["Location"] == DRAMAS
    assert admin_client.get(f"{DRAMAS}999999/generate/").status_code == 302


# ---------------------------------------------------------------- regenerate failed
def test_regenerate_failed_retries_the_latest_runs_failed_nodes(api, admin_client, monkeypatch):
    drama = _drama(api, episodes=1, scenes=1, characters=2)
    made = LocalImageProvider.generate

    def refuse_the_second_portrait(self, request):
        if request.kind == "portrait" and "Person 2" in request.prompt:
            raise ProviderError("blocked by the safety filter", retryable=False)
        return made(self, request)

    monkeypatch.setattr(LocalImageProvider, "generate", refuse_the_second_portrait)
    run = drain(generate(api, drama.public_id)["id"])
    assert run.status == Job.Status.PARTIAL
    monkeypatch.setattr(LocalImageProvider, "generate", made)

    answer = admin_client.post(
        DRAMAS, {"action": "regenerate_failed", "_selected_action": [drama.pk]}, follow=True
    )

    assert any(f"retrying the failed, skipped and cancelled nodes of {run.public_id}" in m
               for m in _messages(answer))  # fmt: skip
    assert drain(run.public_id).status == Job.Status.COMPLETED
    assert Job.objects.filter(kind=Job.Kind.DAG).count() == 1


def test_regenerate_failed_says_when_there_is_nothing_to_retry(api, admin_client):
    never = _drama(api, episodes=1, scenes=1, characters=1)
    going = _drama(api, episodes=1, scenes=1, characters=1)
    generate(api, going.public_id)
    done = _produced(api, episodes=1, scenes=1, characters=1)

    answer = admin_client.post(
        DRAMAS,
        {"action": "regenerate_failed", "_selected_action": [never.pk, going.pk, done.pk]},
        follow=True,
    )

    assert answer.status_code == 200
    said = _messages(answer)
    assert f"{never}: no run to retry yet; generate it first." in said
    assert any(m.startswith(f"{going}: The run is still in progress") for m in said)
    assert any(m.startswith(f"{done}: Nothing to retry") for m in said)


# ---------------------------------------------------------------- improve and critique
def test_the_critique_is_shown_on_the_change_page(api, admin_client):
    drama = _drama(api, episodes=1, scenes=1, characters=1)
    empty = admin_client.get(f"{DRAMAS}{drama.pk}/change/").content.decode()
    assert "None yet: the “Critique the script” action" in empty

    admin_client.post(DRAMAS, {"action": "critique", "_selected_action": [drama.pk]})
    tasks.run_job(Job.objects.get(drama=drama, kind=Job.Kind.CRITIQUE).pk)

    drama.refresh_from_db()
    page = admin_client.get(f"{DRAMAS}{drama.pk}/change/").content.decode()
    assert f"<strong>Score {drama.critique['score']}/100.</strong>" in page
    assert drama.critique["summary"] in page
    for issue in drama.critique["issues"]:
        assert issue["message"] in page


def test_improve_needs_feedback_and_a_script(api, admin_client, user):
    drama = _drama(api, episodes=1, scenes=1, characters=1)
    writing = Drama.objects.create(owner=user, title="Still writing", status="writing")

    bare = admin_client.post(
        DRAMAS, {"action": "improve", "_selected_action": [drama.pk], "feedback": " "}, follow=True
    )
    refused = admin_client.post(
        DRAMAS,
        {"action": "improve", "_selected_action": [writing.pk], "feedback": "Faster."},
        follow=True,
    )
    queued = admin_client.post(
        DRAMAS, {"action": "improve", "_selected_action": [drama.pk], "feedback": "Faster."},
        follow=True,
    )  # fmt: skip

    assert "Write the feedback first." in _messages(bare)
    assert any("no script to work on yet" in m for m in _messages(refused))
    job = Job.objects.get(kind=Job.Kind.IMPROVE)
    assert (job.drama, job.prompt) == (drama, "Faster.")
    assert f"{drama}: queued {job.public_id}." in _messages(queued)


# ---------------------------------------------------------------- the change page
def test_the_change_page_shows_the_script_inline_beside_its_current_media(api, admin_client):
    drama = _produced(api, episodes=1, scenes=2, characters=2)

    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(f"{DRAMAS}{drama.pk}/change/")
    html = page.content.decode()

    for group in ("characters-group", "episodes-group", "scenes-group"):
        assert f'id="{group}"' in html
    current = Asset.objects.filter(drama=drama, is_current=True)
    # 2 portraits, 2 auditions, 2 storyboards, 2 clips, 4 voiced lines, the music bed, the
    # cut, its subtitles and its timeline.
    assert current.count() == 16
    for asset in current:
        if asset.media_type == "image":
            assert f'<img src="{asset.file.url}"' in html
        elif asset.media_type == "audio":
            assert f'<audio src="{asset.file.url}" controls' in html
        elif asset.media_type == "text":
            assert f'<a class="medium-missing" href="{asset.file.url}" download=' in html
        else:
            assert f'<video src="{asset.file.url}" controls' in html
    clip = current.get(kind="clip", scene__key="sc_01_01")
    board = current.get(kind="storyboard", scene__key="sc_01_01")
    assert re.search(
        rf'<video src="{re.escape(clip.file.url)}"[^>]*poster="{re.escape(board.file.url)}"', html
    )
    assert "100 %" in html and "completed" in html
    # The media: one query for the current assets of each level, whatever the drama's size.
    assert sum('FROM "assets_asset"' in q["sql"] for q in queries.captured_queries) == 3


def test_saving_the_change_page_goes_through_the_script_services(api, admin_client):
    drama = _drama(api, episodes=1, scenes=1, characters=2)
    assert admin_client.get(f"{DRAMAS}add/").status_code == 200
    page = admin_client.get(f"{DRAMAS}{drama.pk}/change/")
    data = _change_form_data(page)
    data["characters-0-name"] = "Renamed inline"

    saved = admin_client.post(f"{DRAMAS}{drama.pk}/change/", data)

    assert saved.status_code == 302, saved.context["adminform"].form.errors
    assert Character.objects.get(drama=drama, key="char_001").name == "Renamed inline"
    drama.refresh_from_db()
    assert drama.version == 2  # an API client's ETag of version 1 is now stale


# ---------------------------------------------------------------- regenerate where you look
def test_a_character_is_regenerated_from_its_page_with_what_depends_on_it(api, admin_client):
    drama = _produced(api, episodes=1, scenes=2, characters=2)
    character = Character.objects.get(drama=drama, key="char_001")
    url = f"/admin/dramas/character/{character.pk}/regenerate/"
    portrait = Asset.objects.get(character=character, kind="portrait", is_current=True)

    change = admin_client.get(f"/admin/dramas/character/{character.pk}/change/").content.decode()
    form = admin_client.get(url).content.decode()
    answer = admin_client.post(url, {"node": "portrait", "prompt": portrait.prompt + "\r\n"})

    assert f'href="{url}"' in change and f'<img src="{portrait.file.url}"' in change
    assert f">{portrait.prompt}</textarea>" in form
    assert answer.status_code == 302
    assert answer["Location"] == f"/admin/dramas/character/{character.pk}/change/"
    run = Job.objects.filter(kind=Job.Kind.DAG).latest("id")
    scenes = set(Scene.objects.filter(characters=character).values_list("key", flat=True))
    assert _made(run) == (
        {("portrait", "char_001"), ("audition", "char_001"), ("episode_cut", "ep_01")}
        | {(n, s) for s in scenes for n in ("storyboard", "clip")}
    )
    portrait.refresh_from_db()
    assert "promptEdited" not in portrait.metadata  # an unchanged prompt is not an edit
    assert drain(run.public_id).status == Job.Status.COMPLETED


def test_an_edited_prompt_makes_the_node_from_it(api, admin_client):
    drama = _produced(api, episodes=1, scenes=1, characters=1)
    character = Character.objects.get(drama=drama, key="char_001")
    url = f"/admin/dramas/character/{character.pk}/regenerate/"

    answer = admin_client.post(
        url, {"node": "audition", "prompt": "She laughs, then looks away."}, follow=True
    )

    run = Job.objects.filter(kind=Job.Kind.DAG).latest("id")
    assert any(f"Started run {run.public_id} from the edited prompt: it makes 1 audition." in m
               for m in _messages(answer))  # fmt: skip
    assert _made(run) == {("audition", "char_001")}
    drain(run.public_id)
    audition = Asset.objects.get(character=character, kind="audition", is_current=True)
    assert (audition.version, audition.prompt) == (2, "She laughs, then looks away.")
    form = admin_client.get(url).content.decode()
    assert ">She laughs, then looks away.</textarea>" in form


def test_a_scene_is_regenerated_from_its_page(api, admin_client):
    drama = _produced(api, episodes=1, scenes=2, characters=2)
    scene = Scene.objects.get(drama=drama, key="sc_01_02")
    url = f"/admin/dramas/scene/{scene.pk}/regenerate/"

    change = admin_client.get(f"/admin/dramas/scene/{scene.pk}/change/").content.decode()
    admin_client.post(url, {"node": "clip", "prompt": ""})

    assert f'href="{url}"' in change
    clip = Asset.objects.get(scene=scene, kind="clip", is_current=True)
    assert f'<video src="{clip.file.url}" controls' in change
    run = Job.objects.filter(kind=Job.Kind.DAG).latest("id")
    assert _made(run) == {("clip", "sc_01_02"), ("episode_cut", "ep_01")}


def test_an_episode_cut_is_assembled_again_from_the_episodes_page(api, admin_client):
    drama = _produced(api, episodes=2, scenes=1, characters=1)
    episode = drama.episodes.get(key="ep_02")
    url = f"/admin/dramas/episode/{episode.pk}/regenerate/"

    form = admin_client.get(url).content.decode()
    admin_client.post(url, {"node": "episode_cut", "prompt": ""})

    cut = Asset.objects.get(episode=episode, kind="episode_cut", is_current=True)
    assert f'<video src="{cut.file.url}" controls' in form and 'value="episode_cut"' in form
    run = Job.objects.filter(kind=Job.Kind.DAG).latest("id")
    assert _made(run) == {("episode_cut", "ep_02")}


def test_regenerate_refuses_bad_input_with_a_message(api, admin_client):
    drama = _drama(api, episodes=1, scenes=1, characters=1)
    scene = Scene.objects.get(drama=drama)
    url = f"/admin/dramas/scene/{scene.pk}/regenerate/"

    wrong_node = admin_client.post(url, {"node": "portrait", "prompt": ""}, follow=True)
    not_made = admin_client.post(url, {"node": "storyboard", "prompt": "New"}, follow=True)
    unknown = admin_client.post(url, {"node": "soundtrack", "prompt": ""}, follow=True)
    form = admin_client.get(url).content.decode()

    assert wrong_node.status_code == not_made.status_code == unknown.status_code == 200
    assert any("Nothing was started: nothing to regenerate on a scene as portrait" in m
               for m in _messages(wrong_node))  # fmt: skip
    assert any("is not made yet: nothing to edit" in m for m in _messages(not_made))
    assert any("Nothing was started: nothing to regenerate on a scene as soundtrack" in m
               for m in _messages(unknown))  # fmt: skip
    assert not Job.objects.filter(kind=Job.Kind.DAG).exists()
    assert "editable here once the storyboard has been made" in form and "<textarea" not in form


def test_regenerate_waits_for_the_run_in_progress(api, admin_client):
    drama = _produced(api, episodes=1, scenes=1, characters=1)
    run = Job.objects.get(public_id=generate(api, drama.public_id, force=True)["id"])
    scene = Scene.objects.get(drama=drama)
    url = f"/admin/dramas/scene/{scene.pk}/regenerate/"

    board = Asset.objects.get(scene=scene, kind="storyboard", is_current=True)

    form = admin_client.get(url).content.decode()
    answers = [
        admin_client.post(url, {"node": "storyboard", "prompt": prompt}, follow=True)
        for prompt in ("", "Edited while it runs")
    ]

    assert f"A run of {drama} is in progress" in form and run.public_id in form
    for answer in answers:
        assert answer.status_code == 200
        assert any(f"A generation run of this drama is in progress ({run.public_id})" in m
                   for m in _messages(answer))  # fmt: skip
    assert Job.objects.filter(kind=Job.Kind.DAG).count() == 2
    board.refresh_from_db()
    assert read_sidecar(board)["metadata"]["prompt"] == board.prompt != "Edited while it runs"


def test_an_asset_is_regenerated_from_its_page(api, admin_client):
    drama = _produced(api, episodes=1, scenes=1, characters=1)
    board = Asset.objects.get(drama=drama, kind="storyboard", is_current=True)
    url = f"/admin/assets/asset/{board.pk}/regenerate/"

    change = admin_client.get(f"/admin/assets/asset/{board.pk}/change/").content.decode()
    form = admin_client.get(url)
    answer = admin_client.post(url, {"node": "storyboard", "prompt": "Neon rain"}, follow=True)

    assert f'href="{url}"' in change and "Regenerate this storyboard" in change
    assert form.templates[0].name == "admin/assets/asset/regenerate_form.html"
    assert list(form.context["target"].nodes) == ["storyboard"]
    assert answer.redirect_chain[-1][0] == f"/admin/assets/asset/{board.pk}/change/"
    run = Job.objects.filter(kind=Job.Kind.DAG).latest("id")
    assert _made(run) == {("storyboard", "sc_01_01"), ("clip", "sc_01_01"),
                          ("episode_cut", "ep_01")}  # fmt: skip
    drain(run.public_id)
    new = Asset.objects.get(slot=board.slot, is_current=True)
    assert (new.version, new.prompt) == (2, "Neon rain")
    old = admin_client.get(url).content.decode()  # from version 1, now an old one
    assert "You came from version 1, which is not the current one" in old


def test_an_asset_no_run_makes_has_nothing_to_regenerate(admin_client, user):
    upload = _stored(user, "loose")

    change = admin_client.get(f"/admin/assets/asset/{upload.pk}/change/").content.decode()
    answer = admin_client.get(f"/admin/assets/asset/{upload.pk}/regenerate/", follow=True)

    assert "nothing to regenerate" in change
    assert answer.status_code == 200
    assert any("is not media a run makes" in m for m in _messages(answer))


def test_staff_who_may_only_view_cannot_regenerate(api, client, django_user_model):
    drama = _drama(api, episodes=1, scenes=1, characters=1)
    character = Character.objects.get(drama=drama)
    viewer = django_user_model.objects.create_user(
        username="viewer", password="pw-viewer-1", is_staff=True
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_character"))
    client.force_login(viewer)

    change = client.get(f"/admin/dramas/character/{character.pk}/change/")
    refused = client.post(
        f"/admin/dramas/character/{character.pk}/regenerate/", {"node": "portrait"}
    )

    assert change.status_code == 200 and "Regenerate…" not in change.content.decode()
    assert refused.status_code == 403
    assert not Job.objects.filter(kind=Job.Kind.DAG).exists()


# ---------------------------------------------------------------- in a browser
@pytest.fixture
def browser_page(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see tests/test_browser.py
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()
        connections.close_all()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_see_the_dramas_runs_and_a_dramas_media_in_a_browser(browser_page, live_server,
                                                                  django_user_model):  # fmt: skip
    page = browser_page
    producer = django_user_model.objects.create_superuser(
        username="producer", password="a-long-producer-password"
    )
    serializer = DramaCreateInput(data=drama_body(episodes=2, scenes=2, characters=3,
                                                  title="The Kitchen War"))  # fmt: skip
    serializer.is_valid(raise_exception=True)
    drama = drama_create(owner=producer, data=serializer.validated_data)
    for scene in drama.scenes.all():
        scene.target_duration = 1
        scene.save(update_fields=["target_duration"])
    drain(runs.run_start(drama=drama).public_id)
    waiting = drama_create(owner=producer, data=serializer.validated_data)
    runs.run_start(drama=waiting)  # in progress: nothing drains it
    fresh = drama_create(owner=producer, data=serializer.validated_data)
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}{DRAMAS}")
    produced = page.locator("#result_list tbody tr", has_text=drama.public_id)
    expect(produced).to_contain_text("100 %")
    expect(produced).to_contain_text("3 characters")
    expect(page.locator("#result_list tbody tr", has_text=waiting.public_id)).to_contain_text("0 %")
    page.screenshot(path=str(SCREENSHOTS / "drama-list.png"), full_page=True)

    page.goto(f"{live_server.url}{DRAMAS}{drama.pk}/change/")
    media = page.locator("#drama-media")
    expect(media.locator("img")).to_have_count(3 + 4)  # portraits and storyboards
    expect(media.locator("video")).to_have_count(3 + 4 + 2)  # auditions, clips and cuts
    expect(media.locator("audio")).to_have_count(8 + 2)  # the voiced lines and music beds
    expect(media.locator("a[download]", has_text=".otio")).to_have_count(2)  # the timelines
    cut = media.locator("video").nth(3)  # the first episode's cut, after the auditions
    duration = cut.evaluate(
        "v => new Promise(done => { v.preload = 'auto'; v.muted = true;"
        " if (v.readyState >= 1) done(v.duration);"
        " v.onloadedmetadata = () => done(v.duration); v.onerror = () => done(-1); v.load(); })"
    )
    assert duration > 0  # the signed URL plays in the tag
    page.screenshot(path=str(SCREENSHOTS / "drama-change.png"), full_page=True)

    page.goto(f"{live_server.url}{DRAMAS}")
    for chosen in (drama, waiting, fresh):
        page.check(f"input[name=_selected_action][value='{chosen.pk}']")
    page.select_option("select[name=action]", "generate")
    page.click("button[name=index]")
    expect(page.locator(f"#plan-{waiting.pk}")).to_contain_text("Will not start")
    # 3 portraits and auditions, 4 storyboards and clips, 8 voiced lines, 2 music beds, 2 cuts.
    expect(page.locator(f"#plan-{fresh.pk} tfoot td")).to_have_text(["Total", "26", "0", "$0.00"])
    expect(page.locator(f"#plan-{drama.pk}")).to_contain_text("there is nothing to start")
    page.screenshot(path=str(SCREENSHOTS / "drama-generate-confirmation.png"), full_page=True)
    page.click("input[type=submit][value='Yes, start the run']")
    expect(page.locator(".messagelist")).to_contain_text("26 to make, 0 already made")
    assert Job.objects.filter(drama=fresh, kind=Job.Kind.DAG).count() == 1

    board = Asset.objects.get(scene__drama=drama, scene__key="sc_01_01", kind="storyboard",
                              is_current=True)  # fmt: skip
    page.goto(f"{live_server.url}/admin/assets/asset/{board.pk}/change/")
    expect(page.locator("a.button", has_text="Regenerate this storyboard")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "asset-change.png"), full_page=True)
    page.click("a.button:has-text('Regenerate this storyboard')")
    expect(page.locator("#prompt-storyboard")).to_have_value(board.prompt)
    page.screenshot(path=str(SCREENSHOTS / "asset-regenerate.png"), full_page=True)

    scene = drama.scenes.get(key="sc_01_02")
    page.goto(f"{live_server.url}/admin/dramas/scene/{scene.pk}/change/")
    page.screenshot(path=str(SCREENSHOTS / "scene-change.png"), full_page=True)
    page.click("#entity-media a.button")
    page.fill("#prompt-storyboard", "A rooftop at dawn, rain")
    page.screenshot(path=str(SCREENSHOTS / "scene-regenerate.png"), full_page=True)
    page.click("#regenerate-storyboard input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("from the edited prompt")
    run = Job.objects.filter(drama=drama, kind=Job.Kind.DAG).latest("id")
    assert _made(run) == {("storyboard", "sc_01_02"), ("clip", "sc_01_02"),
                          ("episode_cut", "ep_01")}  # fmt: skip


def test_an_episodes_page_opens_with_its_scenes_inline(api, admin_client):
    drama = _drama(api, episodes=2, scenes=2)
    episode = drama.episodes.get(key="ep_02")

    response = admin_client.get(f"/admin/dramas/episode/{episode.pk}/change/")

    assert response.status_code == 200
    offered = response.context["inline_admin_formsets"][0].formset.form.base_fields["episode"]
    assert {e.key for e in offered.queryset} == {"ep_01", "ep_02"}


def test_editing_a_character_in_the_admin_moves_the_dramas_version(api, admin_client):
    drama = _drama(api)
    character = drama.characters.get(key="char_001")
    page = f"/admin/dramas/character/{character.pk}/change/"
    form = _change_form_data(admin_client.get(page))

    response = admin_client.post(page, {**form, "name": "Renamed"})

    assert response.status_code == 302
    before = drama.version
    drama.refresh_from_db()
    assert drama.version == before + 1
    assert api.get(f"/dramas/{drama.public_id}").json()["characters"][0]["name"] == "Renamed"
