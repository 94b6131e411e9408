"""A run's page in the admin: its tree, counts, costs, errors and timeline, the progress it
polls, its cancel and retry buttons, and the job list with runs in it; then the page in a
real browser while the run goes on."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dramas.serializers import DramaCreateInput
from dramas.services import drama_create
from generation import runs, tasks
from generation.admin_views import PAD, ROW_H
from generation.models import Job
from generation.providers.base import ProviderError
from generation.providers.local.image import LocalImageProvider
from generation.services import claimable
from tests.conftest import drama_body
from tests.test_browser import log_in, page, producer  # noqa: F401  (the browser's fixtures)
from tests.test_dag import drain, generate, small_drama

pytestmark = pytest.mark.django_db

JOBS = "/admin/generation/job/"
PRICES = '{"offline-image-1": {"per_image": 0.067}, "offline-video-1": {"per_video_second": 0.1}}'
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "admin"


@pytest.fixture(autouse=True)
def _outputs_and_prices(settings, tmp_path):
    settings.OUTPUTS_DIR = tmp_path / "outputs"
    settings.PRICES_JSON = PRICES


@pytest.fixture
def viewer(django_user_model):
    user = django_user_model.objects.create_user(
        username="watcher", password="pw-watcher-1", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_job"))
    return user


# ---------------------------------------------------------------- reading the pages
class Elements(HTMLParser):
    """The page's elements with their attributes, and the text inside each element by id."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text_of: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag not in VOID:
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_of[attributes["id"]] = ""

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if any(opened == tag for opened, _ in self._open):
            while self._open.pop()[0] != tag:
                pass

    def handle_data(self, data):
        for _, element_id in self._open:
            if element_id:
                self.text_of[element_id] += data

    def find(self, tag: str, **attrs) -> list[dict]:
        """The attributes of each `tag` element that has these."""
        return [a for t, a in self.elements
                if t == tag and all(a.get(k) == v for k, v in attrs.items())]  # fmt: skip


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


def text(html: str) -> str:
    """The page's text, tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def timeline_rows(html: str) -> ET.Element:
    """The timeline's rows, parsed as the SVG they are (it must be well-formed)."""
    svg = re.search(r'<svg class="tl-rows".*?</svg>', html, re.S)
    assert svg, "no timeline on the page"
    return ET.fromstring(svg.group(0))  # noqa: S314  (the page under test, made by this process)


SVG = "{http://www.w3.org/2000/svg}"


def run_of(api, **size) -> Job:
    drama = small_drama(api, **size)
    return Job.objects.get(public_id=generate(api, drama["id"])["id"])


def run_due(run: Job) -> list[int]:
    """Delivers the run's due nodes once, as a worker would; returns those delivered."""
    due = list(Job.objects.filter(claimable(), parent=run).values_list("pk", flat=True))
    for pk in due:
        tasks.run_job(pk)
    return due


def run_nodes(run: Job, node: str) -> None:
    for job in Job.objects.filter(parent=run, node=node):
        tasks.run_job(job.pk)


# ---------------------------------------------------------------- the run's page
def test_it_shows_the_runs_tree_with_counts_and_costs(api, admin_client):
    run = run_of(api, episodes=1, scenes=2, characters=2)
    run_nodes(run, "portrait")

    html = admin_client.get(f"{JOBS}{run.pk}/change/").content.decode()

    shown = Elements(html)
    nodes = {n.public_id: n for n in run.children.all()}
    rows = {r["data-node"] for r in shown.find("tr") if "data-node" in r}
    assert rows == set(nodes)
    words = text(html)
    for caption in ("Level 1 · portrait (2)", "Level 1 · dialogue_audio (4)",
                    "Level 1 · music (1)", "Level 2 · audition (2)",
                    "Level 2 · storyboard (2)", "Level 3 · clip (2)",
                    "Level 4 · episode_cut (1)"):  # fmt: skip
        assert caption in words
    counts = Counter(n.status for n in nodes.values())
    # 14 nodes: the portraits made; the 4 lines and the music bed (which wait for nothing), the
    # 2 auditions and the 2 storyboards queued; the 2 clips and the cut pending.
    assert counts == {"completed": 2, "queued": 9, "pending": 3}
    badges = re.findall(r'data-status="(\w+)">[\w ]+ <b>(\d+)</b>', html)
    assert {status: int(n) for status, n in badges} == counts
    assert "2 of 14" in shown.text_of["run-finished"]
    assert shown.find("progress", id="run-progress")[0]["value"] == "14.3"
    # Two portraits at $0.067 so far, of the plan's estimate: 4 images at $0.067, 2 auditions
    # of 5 s and 2 clips of 3 s (as long as their two lines, not the scenes' 2 s) at $0.10 a
    # second; the offline voices and music cost nothing.
    assert shown.text_of["run-cost"] == "$0.1340"
    assert shown.text_of["run-estimate"] == f"${run.metadata['estimatedCostUsd']:.4f}" == "$1.8680"
    portrait = next(n for n in nodes.values() if n.node == "portrait")
    row = re.search(rf'<tr id="node-{portrait.public_id}".*?</tr>', html, re.S).group(0)
    assert text(row).count("$0.0670") == 2  # its cost, and its estimate


def test_a_failed_nodes_error_is_shown_in_full_and_what_it_skipped_says_why(
    api, admin_client, monkeypatch
):
    long = "The service refused the prompt <safety>: " + "reason " * 120 + "\nsecond line & end."
    made = LocalImageProvider.generate

    def refuse(self, request):
        if request.kind == "portrait" and "Person 1" in request.prompt:
            raise ProviderError(long, retryable=False, reason="safety")
        return made(self, request)

    monkeypatch.setattr(LocalImageProvider, "generate", refuse)
    run = drain(run_of(api, episodes=1, scenes=1, characters=2).public_id)

    html = admin_client.get(f"{JOBS}{run.pk}/change/").content.decode()

    failed = run.children.get(status=Job.Status.FAILED)
    assert long in failed.error
    errors = [unescape(e) for e in re.findall(r'<pre class="run-error">(.*?)</pre>', html, re.S)]
    assert errors.count(failed.error) == 2  # in the failures at the top, and in its row
    assert "&lt;safety&gt;" in html and "<safety>" not in html
    skipped = run.children.filter(status=Job.Status.SKIPPED)
    assert skipped.exists()
    assert all(s.error in errors for s in skipped)
    assert "Failed nodes (1)" in text(html)


def test_the_timeline_has_one_bar_per_started_node_from_its_start_to_its_end(api, admin_client):
    run = run_of(api, episodes=1, scenes=2, characters=2)
    run_nodes(run, "portrait")
    run_nodes(run, "storyboard")

    svg = timeline_rows(admin_client.get(f"{JOBS}{run.pk}/change/").content.decode())

    nodes = {n.public_id: n for n in run.children.all()}
    started = {k for k, n in nodes.items() if n.started_at}
    bars = {r.get("data-node"): r for r in svg.iter(f"{SVG}rect")}
    assert len(list(svg.iter(f"{SVG}rect"))) == len(started) == 4
    assert set(bars) == started
    labels = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text") if t.get("class") == "tl-label"]
    assert len(labels) == len(nodes) and "storyboard sc_01_02" in labels
    waiting = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tl-none"]
    assert len(waiting) == len(nodes) - len(started)
    assert all(w.startswith("not started · ") for w in waiting)
    # A storyboard starts after the portraits it waits for ended, and its bar says so.
    for key in started:
        node, bar = nodes[key], bars[key]
        assert f"st-{node.status}" in bar.get("class")
        if node.node == "storyboard":
            for portrait in (n for n in nodes.values() if n.node == "portrait"):
                end = float(bars[portrait.public_id].get("x")) + float(
                    bars[portrait.public_id].get("width"))  # fmt: skip
                assert float(bar.get("x")) >= end - 2.5  # a bar is at least 2 px wide


def test_the_timeline_of_a_hundred_nodes_is_one_row_each_in_a_box_that_scrolls(api, admin_client):
    run = run_of(api, episodes=4, scenes=10, characters=6)

    html = admin_client.get(f"{JOBS}{run.pk}/change/").content.decode()

    svg = timeline_rows(html)
    total = run.children.count()
    # Portraits and auditions of 6 characters, 40 storyboards, 80 lines (two a scene), 40 clips,
    # 4 music beds and 4 cuts.
    assert total == 6 + 6 + 40 + 80 + 40 + 4 + 4
    assert svg.get("viewBox").split()[3] == str(total * ROW_H + 2 * PAD)
    assert len([t for t in svg.iter(f"{SVG}text") if t.get("class") == "tl-label"]) == total
    assert list(svg.iter(f"{SVG}rect")) == []  # nothing started yet
    assert re.search(r'class="run-timeline-scroll"><div data-fragment="timeline_rows"><svg', html)


def test_a_nodes_page_links_to_its_run(api, admin_client):
    run = run_of(api, episodes=1, scenes=1, characters=1)
    node = run.children.get(node="portrait")

    html = admin_client.get(f"{JOBS}{node.pk}/change/").content.decode()

    assert f'A node of run <a href="{JOBS}{run.pk}/change/">{run.public_id}</a> (running)' in html
    assert 'id="run-panel"' not in html


# ---------------------------------------------------------------- what the page polls
def test_the_progress_view_follows_the_run_until_it_ends(api, admin_client):
    run = run_of(api, episodes=1, scenes=1, characters=1)
    url = f"{JOBS}{run.pk}/progress/"

    first = admin_client.get(url).json()
    run_nodes(run, "portrait")
    second = admin_client.get(url).json()
    drain(run.public_id)
    last = admin_client.get(url).json()

    # A portrait, an audition, a storyboard, the scene's two lines, a clip, a music bed, a cut:
    # the portrait, the lines and the music wait for nothing.
    assert (first["percent"], first["finished"], first["total"]) == (0.0, 0, 8)
    assert first["counts"]["queued"] == 4 and first["counts"]["pending"] == 4
    assert (first["ended"], first["canCancel"], first["canRetry"]) == (False, True, False)
    assert (second["percent"], second["finished"]) == (12.5, 1)
    assert second["costUsd"] == pytest.approx(0.067)
    assert len(list(timeline_rows(second["html"]["timeline_rows"]).iter(f"{SVG}rect"))) == 1
    assert "1 of 8" in second["html"]["summary"]
    assert (last["status"], last["percent"], last["ended"]) == ("completed", 100.0, True)
    assert (last["canCancel"], last["canRetry"]) == (False, False)
    assert last["counts"]["completed"] == 8
    assert len(list(timeline_rows(last["html"]["timeline_rows"]).iter(f"{SVG}rect"))) == 8
    assert last["estimatedCostUsd"] == pytest.approx(run.metadata["estimatedCostUsd"])


def test_the_progress_view_is_for_staff_who_may_view_jobs(api, client, django_user_model,
                                                          viewer):  # fmt: skip
    run = run_of(api, episodes=1, scenes=1, characters=1)
    url = f"{JOBS}{run.pk}/progress/"
    writer = django_user_model.objects.create_user(username="author", password="pw-author-1")
    staff = django_user_model.objects.create_user(
        username="clerk", password="pw-clerk-1", is_staff=True
    )

    anonymous = client.get(url)
    client.force_login(writer)
    not_staff = client.get(url)
    client.force_login(staff)
    no_permission = client.get(url)
    client.force_login(viewer)
    allowed = client.get(url)
    posted = client.post(url)
    not_a_run = client.get(f"{JOBS}{run.children.first().pk}/progress/")

    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    assert not_staff.status_code == 302 and "/admin/login/" in not_staff["Location"]
    assert no_permission.status_code == 403
    assert allowed.status_code == 200 and allowed.json()["id"] == run.public_id
    assert "no-store" in allowed["Cache-Control"]
    assert posted.status_code == 405
    assert not_a_run.status_code == 404


# ---------------------------------------------------------------- the buttons
def _button_form(client: Client, run: Job, button: str) -> tuple[str, dict]:
    """The action and fields of the run page's form holding `button`, as a browser sends it."""
    html = client.get(f"{JOBS}{run.pk}/change/").content.decode()
    form = re.search(rf'<form method="post" action="([^"]+)"[^>]*>(?:(?!</form>).)*id="{button}"',
                     html, re.S)  # fmt: skip
    assert form, f"no {button} on the page"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0)).group(1)
    return form.group(1), {"csrfmiddlewaretoken": token}


@pytest.fixture
def steering(admin_user) -> Client:
    """An admin whose browser is held to CSRF, as a real one is."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    return client


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """The run services the buttons called (and which still do their work)."""
    called: list[str] = []
    for name in ("run_cancel", "run_retry"):
        service = getattr(runs, name)

        def spy(*, run, _name=name, _service=service):
            called.append(_name)
            return _service(run=run)

        monkeypatch.setattr(runs, name, spy)
    return called


def test_the_cancel_button_cancels_the_run_through_the_service(api, steering, calls):
    run = run_of(api, episodes=1, scenes=1, characters=1)
    run_nodes(run, "portrait")
    action, fields = _button_form(steering, run, "run-cancel")

    refused = steering.post(action)  # no CSRF token
    answer = steering.post(action, fields, follow=True)

    assert refused.status_code == 403
    assert action == f"{JOBS}{run.pk}/cancel/"
    assert answer.redirect_chain == [(f"{JOBS}{run.pk}/change/", 302)]
    assert f"Run {run.public_id}: cancelled." in text(answer.content.decode())
    assert calls == ["run_cancel"]
    run.refresh_from_db()
    assert run.status == Job.Status.CANCELLED
    # The portrait made; the 7 other nodes (audition, storyboard, 2 lines, clip, music, cut).
    assert Counter(run.children.values_list("status", flat=True)) == {
        "completed": 1, "cancelled": 7}  # fmt: skip
    after = Elements(answer.content.decode())
    assert "disabled" in after.find("input", id="run-cancel")[0]
    assert "disabled" not in after.find("input", id="run-retry")[0]


def test_a_refused_retry_is_a_message_and_an_ended_run_retries(api, steering, calls):
    run = run_of(api, episodes=1, scenes=1, characters=1)
    action, fields = _button_form(steering, run, "run-retry")

    refused = steering.post(action, fields, follow=True)

    assert refused.status_code == 200
    message = text(refused.content.decode())
    assert f"Skipped {run.public_id}: The run is still in progress: cancel it first" in message
    run.refresh_from_db()
    assert run.status == Job.Status.RUNNING

    cancel, fields = _button_form(steering, run, "run-cancel")
    steering.post(cancel, fields)
    retry, fields = _button_form(steering, run, "run-retry")
    retried = steering.post(retry, fields, follow=True)

    assert f"Run {run.public_id}: retrying." in text(retried.content.decode())
    assert calls == ["run_retry", "run_cancel", "run_retry"]
    run.refresh_from_db()
    assert run.status == Job.Status.RUNNING
    assert "cancelled" not in set(run.children.values_list("status", flat=True))
    assert drain(run.public_id).status == Job.Status.COMPLETED
    done, fields = _button_form(steering, run, "run-retry")
    nothing = steering.post(done, fields, follow=True)
    assert "Nothing to retry: every node of this run completed." in text(
        nothing.content.decode())  # fmt: skip


def test_a_viewer_sees_the_run_but_not_its_buttons(api, client, viewer):
    run = run_of(api, episodes=1, scenes=1, characters=1)
    client.force_login(viewer)

    html = client.get(f"{JOBS}{run.pk}/change/").content.decode()
    cancel = client.post(f"{JOBS}{run.pk}/cancel/")

    assert 'id="run-panel"' in html and 'id="run-cancel"' not in html
    assert 'id="run-retry"' not in html
    assert cancel.status_code == 403
    run.refresh_from_db()
    assert run.status == Job.Status.RUNNING


# ---------------------------------------------------------------- the job list
def _runs(owner, n: int) -> list[Job]:
    made = []
    for i in range(n):
        serializer = DramaCreateInput(data=drama_body(episodes=1, scenes=1, characters=1,
                                                      title=f"Drama {i}"))  # fmt: skip
        serializer.is_valid(raise_exception=True)
        made.append(runs.run_start(drama=drama_create(owner=owner, data=serializer.validated_data)))
    return made


def _queries(client: Client, url: str) -> int:
    client.get(url)  # the session's first read is not the page's
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_job_list_costs_the_same_queries_for_one_run_and_fifty(admin_client, user):
    first = _runs(user, 1)[0]
    run_nodes(first, "portrait")
    urls = (JOBS, f"{JOBS}?kind__exact=dag", f"{JOBS}?kind__exact=dag&status__exact=running",
            f"{JOBS}?drama__id__exact={first.drama_id}")  # fmt: skip
    one = [_queries(admin_client, url) for url in urls]

    _runs(user, 49)
    fifty = [_queries(admin_client, url) for url in urls]

    # The session, the user, the drama filter's choices, the two counts (filtered and all),
    # the page of jobs with each run's progress.
    assert one == fifty == [6, 6, 6, 6]
    listing = admin_client.get(f"{JOBS}?kind__exact=dag").content.decode()
    assert listing.count("<progress ") == 50
    # Each run has 8 nodes: a portrait, an audition, a storyboard, 2 lines, a clip, music, a cut.
    assert '<progress value="1" max="8">1/8</progress> 1/8' in listing
    assert "50 jobs" in text(listing)
    only_first = admin_client.get(f"{JOBS}?drama__id__exact={first.drama_id}").content.decode()
    assert "9 jobs" in text(only_first)  # the run and its 8 nodes


def test_the_job_list_shows_runs_newest_first_with_their_failures(api, admin_client,
                                                                  monkeypatch):  # fmt: skip
    made = LocalImageProvider.generate

    def refuse(self, request):
        if request.kind == "portrait":
            raise ProviderError("no portraits today", retryable=False, reason="safety")
        return made(self, request)

    older = drain(run_of(api, episodes=1, scenes=1, characters=1).public_id)
    monkeypatch.setattr(LocalImageProvider, "generate", refuse)
    newer = drain(run_of(api, episodes=1, scenes=1, characters=1).public_id)

    listing = admin_client.get(f"{JOBS}?part_of=nothing").content.decode()

    listed = re.findall(r'<a href="/admin/generation/job/(\d+)/change/[^"]*">job_', listing)
    assert listed == [str(newer.pk), str(older.pk)]
    # 8 nodes a run (a portrait, an audition, a storyboard, 2 lines, a clip, music, a cut): the
    # newer's portrait failed, what needs it was skipped, its lines and music were made.
    assert newer.status == Job.Status.PARTIAL
    assert "8/8" in listing and "8/8, <strong>1 failed</strong>" in listing
    nodes = admin_client.get(f"{JOBS}?part_of=run").content.decode()
    assert "16 jobs" in text(nodes)


def test_the_run_page_and_its_progress_cost_the_same_queries_small_or_big(api, admin_client):
    small = run_of(api, episodes=1, scenes=1, characters=1)
    big = run_of(api, episodes=3, scenes=4, characters=4)
    assert big.children.count() > 5 * small.children.count()

    pages = [_queries(admin_client, f"{JOBS}{r.pk}/change/") for r in (small, big)]
    polls = [_queries(admin_client, f"{JOBS}{r.pk}/progress/") for r in (small, big)]

    # The session, the user, the run, its nodes, its progress; the page also reads the drama
    # and the record's (empty) dependencies.
    assert polls == [5, 5]
    assert pages == [7, 7]


# ---------------------------------------------------------------- in a browser
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_progress_bar_moves_while_the_run_goes_on(
    page,  # noqa: F811  (the fixture imported above)
    live_server,
    producer,  # noqa: F811
):
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    serializer = DramaCreateInput(data=drama_body(episodes=1, scenes=2, characters=2,
                                                  title="The Night Shift"))  # fmt: skip
    serializer.is_valid(raise_exception=True)
    drama = drama_create(owner=producer, data=serializer.validated_data)
    run = runs.run_start(drama=drama)
    log_in(page, live_server.url)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith("/progress/") else None)

    page.goto(f"{live_server.url}{JOBS}{run.pk}/change/")
    bar = page.locator("#run-progress")
    expect(bar).to_have_attribute("value", "0")
    expect(page.locator("#run-status")).to_have_text("running")
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads

    run_nodes(run, "portrait")
    # 2 of its 14 nodes: 2 portraits, 2 auditions, 2 storyboards, 4 lines, 2 clips, music, a cut.
    expect(bar).to_have_attribute("value", "14.3")
    expect(page.locator("#run-finished")).to_have_text("2 of 14")
    expect(page.locator(".tl-rows rect")).to_have_count(2)
    page.screenshot(path=str(SCREENSHOTS / "run-in-progress.png"), full_page=True)

    run_due(run)  # the lines, the music, the auditions (submitted) and the storyboards
    run_due(run)
    expect(bar).not_to_have_attribute("value", "14.3")
    assert float(bar.get_attribute("value")) > 14.3
    assert page.evaluate("window.loadedOnce") is True

    drain(run.public_id)
    expect(page.locator("#run-status")).to_have_text("completed")
    expect(bar).to_have_attribute("value", re.compile(r"^100(\.0)?$"))
    assert page.evaluate("window.loadedOnce") is True
    expect(page.locator(".tl-rows rect")).to_have_count(14)
    expect(page.locator("#run-cancel")).to_be_disabled()
    expect(page.locator("#run-retry")).to_be_disabled()  # nothing failed: nothing to retry
    expect(page.locator("#run-cost")).to_have_text(re.compile(r"^\$\d+\.\d{4}$"))
    page.screenshot(path=str(SCREENSHOTS / "run-completed.png"), full_page=True)
    page.locator(".run-timeline").screenshot(path=str(SCREENSHOTS / "run-timeline.png"))

    # Polling stops once the run has ended.
    seen = len(polls)
    page.wait_for_timeout(3500)
    assert len(polls) == seen

    page.goto(f"{live_server.url}{JOBS}")
    expect(page.locator("#result_list tbody tr")).to_have_count(15)  # the run and its 14 nodes
    expect(page.locator("#result_list progress")).to_have_count(1)
    expect(page.locator("#result_list progress")).to_be_in_viewport(ratio=1)
    page.screenshot(path=str(SCREENSHOTS / "job-list.png"), full_page=True)
