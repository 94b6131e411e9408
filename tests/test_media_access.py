"""Local media are served only through the signed, expiring URLs the API and the admin give
out: `/media/…` without a valid signature is refused in the error shape, a sidecar is never
served, and a browser shows a file from its signed URL without any key. Object storage keeps
its presigned URLs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from playwright.sync_api import expect

from assets.models import sidecar_key
from tests.conftest import assert_error, use_bucket
from tests.test_assets import MP4, png, upload
from tests.test_browser import log_in, page, producer  # noqa: F401 - fixtures
from tests.test_upload_probe import wav
from tests.workers import ROOT, database_env

pytestmark = pytest.mark.django_db


def fetch(url: str, **headers: str):
    """What anyone gets for `url`: a client with no key and no session."""
    return Client().get(url, **{f"HTTP_{k.upper()}": v for k, v in headers.items()})


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def signature(url: str) -> str:
    return parse_qs(urlsplit(url).query)["sig"][0]


def assert_refused(response, status: int, data: bytes) -> dict:
    """Refused in the error shape, and none of the file in the answer."""
    error = assert_error(response, status)
    assert data not in response.content
    return error


# ---------------------------------------------------------------- what the API gives out
@pytest.mark.parametrize(
    "data, name, content_type",
    [(png(), "still.png", "image/png"), (MP4, "clip.mp4", "video/mp4"),
     (wav(), "voice.wav", "audio/wav")],
)  # fmt: skip
def test_the_signed_url_from_the_api_answers_the_file_with_its_type(api, data, name, content_type):
    body = upload(api, data, name).json()
    listed = api.get("/asset-library/list").json()["results"][0]

    response = fetch(body["url"])

    assert body["url"].startswith(f"/media/{body['key']}?sig=")
    assert listed["url"] == body["url"]  # stable for a while: browsers cache it
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'inline; filename="{name}"'
    assert response["Cache-Control"].startswith("private, max-age=")
    assert body_of(response) == data
    # Local files have no URL that never expires.
    assert body["publicUrl"] == ""


def test_it_refuses_a_media_path_without_a_signature(api):
    data = png()
    key = upload(api, data, "still.png").json()["key"]

    for url in (f"/media/{key}", f"/media/{key}?sig=", f"/media/{key}?sig=garbage"):
        error = assert_refused(fetch(url), 403, data)
        assert error["code"] == "permission_denied"


def test_it_refuses_a_tampered_url(api):
    data = png()
    mine = upload(api, data, "mine.png").json()
    other = upload(api, png(color=(1, 2, 3)), "other.png").json()
    expires, _, sig = signature(mine["url"]).partition(".")
    flipped = sig[:-1] + ("A" if sig[-1] != "A" else "B")

    tampered = [
        f"/media/{mine['key']}?sig={expires}.{flipped}",  # the signature changed
        f"/media/{mine['key']}?sig={int(expires) + 86400}.{sig}",  # the expiry moved on
        f"/media/{mine['key']}?sig={signature(other['url'])}",  # another file's signature
    ]

    for url in tampered:
        assert "not valid" in assert_refused(fetch(url), 403, data)["message"]
    assert fetch(mine["url"]).status_code == 200


def test_it_refuses_an_expired_url(api, settings):
    settings.MEDIA_URL_SECONDS = 1
    data = png()
    url = upload(api, data, "still.png").json()["url"]
    assert fetch(url).status_code == 200

    expires = int(signature(url).partition(".")[0])
    time.sleep(max(expires - time.time(), 0) + 1.1)

    assert "expired" in assert_refused(fetch(url), 403, data)["message"]


def test_a_sidecar_is_never_served_signed_or_not(api):
    from assets.storage import media_storage

    body = upload(api, png(), "still.png").json()
    sidecar = sidecar_key(body["key"])
    sidecar_bytes = media_storage().open(sidecar).read()
    assert json.loads(sidecar_bytes)["assetId"] == body["id"]

    unsigned = fetch(f"/media/{sidecar}")
    borrowed = fetch(f"/media/{sidecar}?sig={signature(body['url'])}")
    # Even a URL signed for the sidecar's own path, which nothing in the product makes.
    signed = fetch(media_storage().url(sidecar))

    assert_refused(unsigned, 403, sidecar_bytes)
    assert_refused(borrowed, 403, sidecar_bytes)
    assert_refused(signed, 404, sidecar_bytes)
    assert body["id"] not in signed.content.decode()


def test_a_file_no_asset_owns_is_not_served_even_when_signed(
    api, user, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from assets.storage import media_storage

    storage = media_storage()
    orphan = storage.save(
        f"{user.pk}/uploads/assets/asset_00000000000000aa.png", ContentFile(png())
    )
    body = upload(api, png(), "gone.png").json()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/asset-library/{body['id']}").status_code == 204

    assert_error(fetch(storage.url(orphan)), 404)
    assert_error(fetch(body["url"]), 404)


def test_a_video_is_answered_in_the_byte_ranges_a_player_asks_for(api):
    url = upload(api, MP4, "clip.mp4").json()["url"]
    size = len(MP4)

    first = fetch(url, range="bytes=0-99")
    tail = fetch(url, range="bytes=-10")
    rest = fetch(url, range=f"bytes={size - 5}-")
    beyond = fetch(url, range=f"bytes={size}-")
    whole = fetch(url, range="bytes=0-9, 20-29")  # several ranges: the whole file

    assert (first.status_code, first["Content-Range"]) == (206, f"bytes 0-99/{size}")
    assert first["Content-Length"] == "100"
    assert first["Content-Type"] == "video/mp4"
    assert body_of(first) == MP4[:100]
    assert (tail.status_code, body_of(tail)) == (206, MP4[-10:])
    assert (rest.status_code, body_of(rest)) == (206, MP4[-5:])
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{size}"
    assert (whole.status_code, body_of(whole)) == (200, MP4)
    assert whole["Accept-Ranges"] == "bytes"


# ---------------------------------------------------------------- object storage
def test_object_storage_keeps_its_presigned_urls(api, seaweed, settings):
    from assets.storage import media_url_signature

    bucket = use_bucket(settings, seaweed)
    data = png()
    body = upload(api, data, "still.png").json()

    with urllib.request.urlopen(body["url"], timeout=10) as fetched:
        assert fetched.read() == data
        assert fetched.headers["Content-Type"] == "image/png"
    assert body["url"].startswith(bucket.server.endpoint)
    assert "X-Amz-Signature=" in body["url"]
    # Nothing is served from local files while media live in a bucket.
    assert_error(fetch(f"/media/{body['key']}?sig={media_url_signature(body['key'])}"), 404)


# ---------------------------------------------------------------- in a real browser
@pytest.fixture
def dev_server(transactional_db, settings, tmp_path):
    """`manage.py runserver` with DEBUG on, as a developer runs it, on this test's database,
    media folder and secret key. Not Django's live_server: that answers `/media/…` from
    MEDIA_ROOT by itself, for anyone, before the product sees the request."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, **database_env(), "DEBUG": "true", "ENVIRONMENT": "development",
           "MEDIA_ROOT": str(settings.MEDIA_ROOT), "SECRET_KEY": settings.SECRET_KEY}  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "runserver.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, (tmp_path / "runserver.log").read_text()
                try:
                    urllib.request.urlopen(f"{url}/admin/login/", timeout=2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "runserver did not start in 60 s"
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=15)


LOAD = """async ([image, unsigned, video]) => {
    const picture = (src) => new Promise((done) => {
        const img = document.createElement("img");
        img.onload = () => done(img.naturalWidth);
        img.onerror = () => done(0);
        img.src = src;
        document.body.append(img);
    });
    const clip = (src) => new Promise((done) => {
        const player = document.createElement("video");
        player.muted = true;
        player.preload = "auto";
        player.onloadeddata = () => done(player.duration);
        player.onerror = () => done(-1);
        player.src = src;
        document.body.append(player);
    });
    return [await picture(image), await picture(unsigned), await clip(video)];
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_browser_shows_media_from_their_signed_urls_without_a_key(page, dev_server, api):  # noqa: F811
    image = upload(api, png(90, 160), "poster.png").json()
    video = upload(api, MP4, "clip.mp4").json()
    statuses: list[int] = []

    def seen(response) -> None:
        if video["key"] in response.url:
            statuses.append(response.status)

    page.on("response", seen)

    # A page of the product, in a browser with no key and no session.
    page.goto(f"{dev_server}/admin/login/")
    loaded = page.evaluate(LOAD, [image["url"], f"/media/{image['key']}", video["url"]])

    signed_width, unsigned_width, duration = loaded
    assert signed_width == 90
    assert unsigned_width == 0  # the same file without its signature does not load
    assert duration == pytest.approx(1.0, abs=0.1)
    assert 206 in statuses  # the player asked for byte ranges and got them


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_previews_load_through_signed_urls(page, dev_server, producer):  # noqa: F811
    from tests.test_assets_admin import _stored

    asset = _stored(producer, "preview")
    log_in(page, dev_server)

    page.goto(f"{dev_server}/admin/assets/asset/{asset.pk}/change/")

    preview = page.locator(f".field-preview_large img[src*='{asset.public_id}']")
    expect(preview).to_have_count(1)
    assert "?sig=" in preview.get_attribute("src")
    assert preview.evaluate("img => img.decode().then(() => img.naturalWidth)") == 90
