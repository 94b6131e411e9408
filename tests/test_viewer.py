"""The viewer: `/watch/` lists the dramas one may watch, `/watch/<id>/` shows one as a show's
page with its cast, episodes, scenes, dialogue and media, in a fixed number of queries; who
sees which drama and which media; and the pages in a real browser, media loading and playing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from playwright.sync_api import expect

from assets.models import Asset
from dramas.models import Drama
from dramas.serializers import DramaCreateInput
from dramas.services import drama_create
from generation.models import Job
from tests.conftest import drama_body
from tests.test_browser import log_in, page, producer  # noqa: F401 - fixtures
from tests.test_dag import drain, generate, small_drama
from tests.test_media_access import dev_server  # noqa: F401 - fixture
from tests.test_queries import _give_assets

pytestmark = pytest.mark.django_db

SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "viewer"
# The session and its user, the drama, its characters, episodes, scenes, the scenes' casts and
# dialogue, the current assets of characters, episodes and scenes, the run in progress.
PAGE_QUERIES = 12
# While a run goes: its counts and its progress on top.
PAGE_QUERIES_WITH_RUN = PAGE_QUERIES + 2
# The session and its user, the page's count, the page of cards, their posters.
INDEX_QUERIES = 5

KINDS = {"portrait": "image", "audition": "video", "storyboard": "image", "clip": "video",
         "episode_cut": "video"}  # fmt: skip


def _create(user, *, title: str = "", **size) -> Drama:
    serializer = DramaCreateInput(data=drama_body(title=title, **size))
    serializer.is_valid(raise_exception=True)
    return drama_create(owner=user, data=serializer.validated_data)


def _give_media(drama: Drama, review: str = Asset.Review.PENDING) -> list[Asset]:
    """A current asset of every kind for every entity of the drama, in `review` state."""
    rows = []

    def add(kind: str, **entity) -> None:
        ((name, obj),) = entity.items()
        ext = "png" if KINDS[kind] == "image" else "mp4"
        asset = Asset(owner=drama.owner, project=drama.public_id, kind=kind,
                      media_type=KINDS[kind], content_type=f"{KINDS[kind]}/{ext}",
                      slot=f"{name}:{obj.pk}:{kind}", review_status=review, provider="test",
                      **entity)  # fmt: skip
        asset.file.save(f"{kind}.{ext}", ContentFile(b"media"), save=False)
        rows.append(asset)

    for character in drama.characters.all():
        add("portrait", character=character)
        add("audition", character=character)
    for episode in drama.episodes.all():
        add("episode_cut", episode=episode)
        for scene in episode.scenes.all():
            add("storyboard", scene=scene)
            add("clip", scene=scene)
    return Asset.objects.bulk_create(rows)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(client: Client, url: str):
    return client.get(url, HTTP_ACCEPT="text/html")


def shown_assets(response) -> set[str]:
    """The public ids of the assets the page shows."""
    import re

    return set(re.findall(r'data-asset="(asset_[^"]+)"', response.content.decode()))


# ---------------------------------------------------------------- the index
def test_the_root_sends_a_visitor_to_the_viewer_and_the_docs_stay(client):
    response = client.get("/")

    assert response.status_code == 302 and response["Location"] == "/watch/"
    assert client.get("/docs").status_code == 200


def test_the_index_lists_a_users_own_dramas_with_poster_and_counts(user, other_user):
    mine = _create(user, title="The Kitchen War", episodes=2, scenes=3, characters=2)
    _give_assets(mine)
    _create(user, title="Still Unmade", episodes=1, scenes=1, characters=1)
    _create(other_user, title="Someone Else's", episodes=1, scenes=1, characters=1)

    response = html(logged_in(user), "/watch/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "The Kitchen War" in body and "Still Unmade" in body
    assert "Someone Else" not in body
    assert "2 characters · 2 episodes · 6 scenes" in body
    assert "A kitchen war." in body and "comedy" in body and "Script ready" in body
    portrait = Asset.objects.get(character__drama=mine, character__order=0, kind="portrait")
    cards = {d.public_id: d for d in response.context["dramas"]}
    assert cards[mine.public_id].poster == portrait
    assert portrait.file.url in body
    assert "No pictures yet" in body  # the unmade drama's card


def test_the_poster_is_the_first_storyboard_when_there_is_no_portrait(user):
    drama = _create(user, episodes=1, scenes=2, characters=1)
    _give_media(drama)
    Asset.objects.filter(kind="portrait").delete()

    response = html(logged_in(user), "/watch/")

    first = Asset.objects.get(scene__drama=drama, scene__number=1, kind="storyboard")
    assert response.context["dramas"][0].poster == first


def test_staff_see_every_drama_in_the_index(user, other_user, staff_user):
    _create(user, title="Writer's Drama", episodes=1, scenes=1, characters=1)
    _create(other_user, title="Stranger's Drama", episodes=1, scenes=1, characters=1)

    body = html(logged_in(staff_user), "/watch/").content.decode()

    assert "Writer&#x27;s Drama" in body and "Stranger&#x27;s Drama" in body


def test_an_anonymous_visitor_is_sent_to_log_in_when_the_api_is_closed(client, user):
    drama = _create(user, episodes=1, scenes=1, characters=1)

    for url in ("/watch/", f"/watch/{drama.public_id}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={url}"
    assert client.get(f"/watch/{drama.public_id}/progress.json").status_code == 401


def test_an_anonymous_visitor_sees_every_drama_in_open_development(client, user, other_user,
                                                                  settings):  # fmt: skip
    settings.API_OPEN = True
    _create(user, title="First", episodes=1, scenes=1, characters=1)
    other = _create(other_user, title="Second", episodes=1, scenes=1, characters=1)

    index = html(client, "/watch/").content.decode()
    shown = html(client, f"/watch/{other.public_id}/")

    assert "First" in index and "Second" in index
    assert shown.status_code == 200 and "Second" in shown.content.decode()


def test_the_index_costs_the_same_queries_for_one_drama_or_many(user):
    client = logged_in(user)
    _give_assets(_create(user, episodes=1, scenes=1, characters=1))
    with CaptureQueriesContext(connection) as one:
        assert html(client, "/watch/").status_code == 200
    for _ in range(6):
        _give_assets(_create(user, episodes=3, scenes=4, characters=3))
    with CaptureQueriesContext(connection) as many:
        response = html(client, "/watch/")

    assert len(response.context["dramas"]) == 7
    assert all(d.poster for d in response.context["dramas"])
    assert len(one) == len(many) == INDEX_QUERIES


# ---------------------------------------------------------------- a drama's page
def test_a_dramas_page_shows_its_cast_episodes_scenes_dialogue_and_media(user):
    drama = _create(user, title="The Kitchen War", episodes=2, scenes=2, characters=3)
    assets = _give_media(drama)
    asset = Asset.objects.get(kind="clip", scene__key="sc_01_01")
    asset.review_status = Asset.Review.APPROVED
    asset.save(update_fields=["review_status"])
    rejected = Asset.objects.get(kind="portrait", character__key="char_002")
    rejected.review_status = Asset.Review.REJECTED
    rejected.save(update_fields=["review_status"])

    response = html(logged_in(user), f"/watch/{drama.public_id}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>The Kitchen War</h1>" in body
    assert "A kitchen war." in body and "playful" in body and "comedy" in body
    for n in (1, 2, 3):
        assert f"Person {n}" in body
    assert "Episode 2" in body and "Things happen in episode 2." in body
    assert body.count('class="scene panel"') == 4
    line = drama.scenes.get(key="sc_02_01").dialogue.select_related("character").first()
    assert f'<span class="speaker">{line.character.name}:</span> {line.line}' in body
    # Every asset, each with its review state; videos playable, images shown.
    assert shown_assets(response) == {a.public_id for a in assets}
    assert body.count("<video") == 3 + 4 + 2  # auditions, clips, cuts
    assert body.count('class="vertical"') == 3 * 2 + 4 * 2 + 2
    assert "aspect-ratio: 9 / 16" in body
    assert body.count('badge review-approved">approved') == 1
    assert body.count('badge review-rejected">rejected') == 1
    assert body.count('badge review-pending_review">pending review') == len(assets) - 2
    assert "offline preview" not in body  # made by no local provider


@pytest.mark.parametrize(
    "note", ["(offline preview by the local provider)", "(Offline preview by the local provider.)"]
)
def test_a_drama_made_by_the_local_provider_is_labelled_an_offline_preview(user, note):
    drama = _create(user, episodes=1, scenes=1, characters=1)
    drama.logline = f"Ava must survive a flood. {note}"
    drama.save(update_fields=["logline"])
    other = _create(user, episodes=1, scenes=1, characters=1)
    _give_media(other)
    Asset.objects.filter(kind="clip").update(provider="local")
    client = logged_in(user)

    by_logline = html(client, f"/watch/{drama.public_id}/").content.decode()
    by_provider = html(client, f"/watch/{other.public_id}/").content.decode()

    assert 'class="badge offline"' in by_logline and 'class="badge offline"' in by_provider
    # The badge says it; the logline no longer needs to.
    assert "Ava must survive a flood." in by_logline
    assert note not in by_logline


def test_a_missing_medium_shows_a_placeholder(user):
    drama = _create(user, episodes=1, scenes=1, characters=1)

    body = html(logged_in(user), f"/watch/{drama.public_id}/").content.decode()

    for label in ("Portrait", "Audition", "Storyboard", "Clip", "Episode cut"):
        assert f"{label} not made yet" in body
    assert "<video" not in body and "<img" not in body


def test_another_users_drama_is_not_found(user, other_user):
    drama = _create(user, episodes=1, scenes=1, characters=1)
    client = logged_in(other_user)

    response = html(client, f"/watch/{drama.public_id}/")

    assert response.status_code == 404
    assert drama.title not in response.content.decode()
    assert "No such drama" in response.content.decode()
    assert html(client, "/watch/drama_unknown/").status_code == 404
    assert client.get(f"/watch/{drama.public_id}/progress.json").status_code == 404


def test_staff_see_another_users_drama_with_all_its_media(user, staff_user, settings):
    settings.REQUIRE_STORYBOARD_APPROVAL = True
    drama = _create(user, episodes=1, scenes=2, characters=2)
    assets = _give_media(drama)

    response = html(logged_in(staff_user), f"/watch/{drama.public_id}/")

    assert response.status_code == 200
    assert shown_assets(response) == {a.public_id for a in assets}
    assert "you see them all, with their review state" in response.content.decode()


def test_with_approval_required_the_audience_sees_only_approved_media(client, user, settings):
    settings.API_OPEN = True
    settings.REQUIRE_STORYBOARD_APPROVAL = True
    drama = _create(user, episodes=1, scenes=2, characters=2)
    assets = _give_media(drama)
    approved = {a.public_id for a in assets if a.kind in ("portrait", "storyboard")}
    Asset.objects.filter(public_id__in=approved).update(review_status=Asset.Review.APPROVED)
    Asset.objects.filter(kind="clip").update(review_status=Asset.Review.REJECTED)

    audience = html(client, f"/watch/{drama.public_id}/")
    owner = html(logged_in(user), f"/watch/{drama.public_id}/")
    index = html(client, "/watch/")

    assert shown_assets(audience) == approved
    assert "Only media approved by a moderator are shown." in audience.content.decode()
    assert "Clip not made yet" in audience.content.decode()
    assert shown_assets(owner) == {a.public_id for a in assets}
    assert index.context["dramas"][0].poster.review_status == Asset.Review.APPROVED


def test_without_approval_required_the_audience_sees_every_current_medium(client, user,
                                                                          settings):  # fmt: skip
    settings.API_OPEN = True
    drama = _create(user, episodes=1, scenes=1, characters=1)
    assets = _give_media(drama)

    assert shown_assets(html(client, f"/watch/{drama.public_id}/")) == {a.public_id for a in assets}


def test_an_audience_sees_no_poster_that_is_not_approved(client, user, settings):
    settings.API_OPEN = True
    settings.REQUIRE_STORYBOARD_APPROVAL = True
    _give_media(_create(user, episodes=1, scenes=1, characters=1))

    index = html(client, "/watch/")

    assert index.context["dramas"][0].poster is None
    assert "No pictures yet" in index.content.decode()


@pytest.mark.parametrize("running", [False, True])
def test_a_dramas_page_costs_the_same_queries_at_one_by_one_and_three_by_four(user, running):
    client = logged_in(user)
    counts = []
    for size in ({"episodes": 1, "scenes": 1, "characters": 1},
                 {"episodes": 3, "scenes": 4, "characters": 3}):  # fmt: skip
        drama = _create(user, **size)
        assets = _give_media(drama)
        if running:
            run = Job.objects.create(drama=drama, kind=Job.Kind.DAG, status=Job.Status.RUNNING)
            for n in range(size["scenes"] * 2):
                status = Job.Status.COMPLETED if n % 2 else Job.Status.QUEUED
                Job.objects.create(drama=drama, parent=run, kind=Job.Kind.IMAGE, status=status)
        with CaptureQueriesContext(connection) as queries:
            response = html(client, f"/watch/{drama.public_id}/")
        assert response.status_code == 200
        assert shown_assets(response) == {a.public_id for a in assets}
        assert response.context["progress"]["active"] is running
        counts.append(len(queries))

    assert counts == [PAGE_QUERIES_WITH_RUN if running else PAGE_QUERIES] * 2


def test_a_run_in_progress_shows_a_bar_that_follows_it(user):
    drama = _create(user, episodes=1, scenes=1, characters=1)
    run = Job.objects.create(drama=drama, kind=Job.Kind.DAG, status=Job.Status.RUNNING)
    for status in ("completed", "completed", "failed", "running", "queued"):
        Job.objects.create(drama=drama, parent=run, kind=Job.Kind.IMAGE, status=status)
    client = logged_in(user)

    body = html(client, f"/watch/{drama.public_id}/").content.decode()
    progress = client.get(f"/watch/{drama.public_id}/progress.json").json()

    assert 'id="progress"' in body and "60.0 %" in body
    assert "3 of 5 steps done, 1 failed" in body
    assert progress == {"active": True, "run": run.public_id, "status": "running",
                        "percent": 60.0, "finished": 3, "total": 5, "failed": 1,
                        "in_flight": 1}  # fmt: skip

    run.status = Job.Status.PARTIAL
    run.save(update_fields=["status"])
    assert client.get(f"/watch/{drama.public_id}/progress.json").json() == {"active": False}
    assert 'id="progress"' not in html(client, f"/watch/{drama.public_id}/").content.decode()


# ---------------------------------------------------------------- in a real browser
PLAY_TO_END = """async (video) => {
    video.muted = true;
    const ended = new Promise((done) => video.addEventListener("ended", done, {once: true}));
    await video.play();
    await ended;
    return [video.duration, video.currentTime];
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_produced_drama_in_a_browser_shows_its_pictures_and_plays_its_videos(
    page,  # noqa: F811
    dev_server,  # noqa: F811
    producer,  # noqa: F811
    client_for,
):
    api = client_for(producer)
    drama = small_drama(api, episodes=1, scenes=2, characters=2, seconds=1)
    started = generate(api, drama["id"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, dev_server)

    # While the run goes the page shows its progress, and loads itself again when it ends.
    page.goto(f"{dev_server}/watch/{drama['id']}/")
    expect(page.locator("#progress .counts")).to_have_text(
        "0 of 14 steps done"
    )  # 9 media, 4 lines, 1 bed
    assert page.locator("img[data-asset]").count() == 0
    assert drain(started["id"]).status == Job.Status.COMPLETED
    expect(page.locator("#progress")).to_have_count(0)
    expect(page.locator("img[data-asset]")).to_have_count(4)

    page.goto(f"{dev_server}/watch/")
    poster = page.locator(f"[data-drama='{drama['id']}'] img.poster")
    assert poster.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    page.screenshot(path=str(SHOTS / "index.png"), full_page=True)

    poster.click()
    page.wait_for_url(f"{dev_server}/watch/{drama['id']}/")
    images = page.locator("img[data-asset]")
    videos = page.locator("video[data-asset]")
    assert images.count() == 2 + 2  # portraits, storyboards
    assert videos.count() == 2 + 2 + 1  # auditions, clips, the cut
    for n in range(images.count()):
        image = images.nth(n)
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
        box = image.bounding_box()
        assert box["height"] / box["width"] == pytest.approx(16 / 9, rel=0.02)
    for n in range(videos.count()):
        duration, reached = videos.nth(n).evaluate(PLAY_TO_END)
        assert duration > 0 and reached == pytest.approx(duration, abs=0.1)
    # Each media pair shows side by side at the same size.
    for pair in page.locator(".pair").all():
        widths = [round(m.bounding_box()["width"]) for m in pair.locator(".vertical").all()]
        assert len(set(widths)) == 1, widths
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "drama.png"), full_page=True)

    cut = page.locator("video[data-asset]").last
    cut.scroll_into_view_if_needed()
    cut.evaluate("video => { video.muted = true; video.currentTime = 0; return video.play(); }")
    page.wait_for_function("v => v.currentTime > 0.5", arg=cut.element_handle())
    cut.evaluate("video => video.pause()")
    page.locator("section.episode").first.screenshot(path=str(SHOTS / "cut-playing.png"))
    assert "offline preview" in page.locator(".badges").first.inner_text()
