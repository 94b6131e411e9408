"""A Python client generated from the live `/openapi.json` by openapi-python-client, the
common generator: it is made without a single warning, and it runs a client's journey against
a live server with a real worker — a premise written into a drama, an image uploaded to the
asset library, found in its list, described and downloaded — with typed results throughout."""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import override_settings
from PIL import Image

from accounts.services import api_key_create
from tests.workers import running_cluster

BIN = Path(sys.executable).parent
PACKAGE = "drama_client"


@pytest.fixture(scope="module")
def generated(django_db_setup, live_server, tmp_path_factory) -> SimpleNamespace:
    """The client generated from the live server's schema, and what the generator printed.

    The test database is set up before the live server, so the server (and its connection)
    is gone before the database is dropped at the end of the run."""
    folder = tmp_path_factory.mktemp("generated")
    config = folder / "config.yaml"
    config.write_text(f"project_name_override: drama-client\npackage_name_override: {PACKAGE}\n")
    project = folder / "drama-client"
    # Closed as in every test (the module's fixtures come before _closed_api): the schema is
    # public, and a closed API reads no user from the database for it.
    with override_settings(API_OPEN=False, API_KEYS=[]):
        result = subprocess.run(
            [BIN / "openapi-python-client", "generate", "--url", f"{live_server.url}/openapi.json",
             "--config", config, "--output-path", project, "--fail-on-warning"],
            capture_output=True, text=True, timeout=300,
            # Its post-generation hooks run the ruff beside this interpreter.
            env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        )  # fmt: skip
    return SimpleNamespace(result=result, project=project)


@pytest.fixture
def client(generated, monkeypatch, live_server, user):
    """A client of the generated package (importable as `drama_client`) with the user's key,
    closed after the test, so the server's request thread and its database connection end."""
    assert (generated.project / PACKAGE).is_dir(), generated.result.stderr
    monkeypatch.syspath_prepend(str(generated.project))
    package = importlib.import_module(PACKAGE)
    _, key = api_key_create(user=user, name="generated client")
    with package.AuthenticatedClient(
        base_url=live_server.url, token=key, raise_on_unexpected_status=True
    ) as client:
        yield client


def test_it_generates_the_client_without_a_warning(generated):
    result = generated.result

    assert result.returncode == 0, result.stdout + result.stderr
    # Any warning (a model dropped, a response left out, a hook skipped) prints a report.
    assert result.stdout.splitlines() == [f"Generating {generated.project}"]
    assert result.stderr == ""
    models = {path.stem for path in (generated.project / PACKAGE / "models").glob("*.py")}
    assert {"asset", "asset_metadata", "asset_record", "paginated_asset_list"} <= models


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (90, 160), (30, 90, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_the_generated_client_runs_a_journey_against_a_live_server(client, tmp_path):
    from drama_client.api.asset_library import (
        asset_library_download,
        asset_library_list,
        asset_library_metadata,
        asset_library_upload,
    )
    from drama_client.api.dramas import dramas_create, dramas_jobs_retrieve, dramas_retrieve
    from drama_client.models import (
        Asset,
        AssetRecord,
        Drama,
        DramaStatusEnum,
        JobAccepted,
        JobStatusEnum,
        JobWithChildren,
        MediaTypeEnum,
        PaginatedAssetList,
        PremiseInputRequest,
        ReviewStatusEnum,
        UploadInputRequest,
    )
    from drama_client.types import File

    premise = PremiseInputRequest(
        premise="A lighthouse keeper finds letters from her future self",
        episode_count=2,
        character_count=3,
        scenes_per_episode=2,
    )

    with running_cluster(tmp_path, SCRIPT_PROVIDER="local"):
        accepted = dramas_create.sync(client=client, body=premise)
        assert isinstance(accepted, JobAccepted), accepted
        deadline = time.monotonic() + 60
        while True:
            job = dramas_jobs_retrieve.sync(accepted.drama_id, accepted.job_id, client=client)
            assert isinstance(job, JobWithChildren), job
            if job.status not in (JobStatusEnum.QUEUED, JobStatusEnum.RUNNING):
                break
            assert time.monotonic() < deadline, f"the job is still {job.status}"
            time.sleep(0.2)

    assert job.status == JobStatusEnum.COMPLETED, job.error
    drama = dramas_retrieve.sync(accepted.drama_id, client=client)
    assert isinstance(drama, Drama)
    assert drama.id == accepted.drama_id
    assert drama.status == DramaStatusEnum.READY
    assert len(drama.characters) == 3
    assert [len(episode.scenes) for episode in drama.episodes] == [2, 2]

    image = png()
    uploaded = asset_library_upload.sync(
        client=client,
        body=UploadInputRequest(
            file=File(payload=io.BytesIO(image), file_name="still.png", mime_type="image/png"),
            tag="journey",
        ),
    )
    assert isinstance(uploaded, Asset), uploaded
    assert (uploaded.media_type, uploaded.content_type) == (MediaTypeEnum.IMAGE, "image/png")
    assert uploaded.review_status == ReviewStatusEnum.PENDING_REVIEW
    assert uploaded.metadata["source"] == "upload"

    listed = asset_library_list.sync(client=client, tag="journey")
    assert isinstance(listed, PaginatedAssetList)
    assert listed.count == 1
    assert [asset.id for asset in listed.results] == [uploaded.id]
    assert isinstance(listed.results[0], Asset)

    record = asset_library_metadata.sync(uploaded.id, client=client)
    assert isinstance(record, AssetRecord)
    assert record.asset.id == uploaded.id
    assert [version.id for version in record.versions] == [uploaded.id]
    assert record.sidecar["assetId"] == uploaded.id

    downloaded = asset_library_download.sync_detailed(uploaded.id, client=client)
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "image/png"
    assert downloaded.content == image
