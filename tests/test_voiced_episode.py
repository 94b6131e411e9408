"""The finished episode through the API and the DAG on the offline providers: a voice per
character, each line its own audio asset, a music bed from the library or made offline, the cut
mixed and normalised with its subtitles, and its OpenTimelineIO export.

ffmpeg (imageio-ffmpeg's, which has no ffprobe) reads every file back; OpenTimelineIO loads
the export.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import opentimelineio as otio
import pytest

from assets.models import Asset
from dramas.models import Character
from generation import dag
from generation.assembly import probe_duration
from generation.models import Job
from generation.providers.local.speech import espeak_voice
from tests import test_dag
from tests.conftest import drama_body
from tests.test_assembly import integrated_loudness, track_cues
from tests.test_dag import drain, generate, nodes_of

pytestmark = pytest.mark.django_db
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
calls = test_dag.calls  # the provider calls made, by kind (a fixture)

LINES = [
    [("char_001", "We open at dawn, whatever the inspectors say."),
     ("char_002", "Then you open without me.")],
    [("char_002", "Your mother kept the recipes in the cellar."),
     ("char_001", "She kept everything in the cellar."),
     ("char_003", "Not everything.")],
]  # fmt: skip


def voiced_body(episodes: int = 1) -> dict:
    body = drama_body(episodes=episodes, scenes=2, characters=3)
    body["genre"], body["tone"] = "thriller", "tense"
    for episode in body["episodes"]:
        for scene, lines in zip(episode["scenes"], LINES, strict=True):
            scene["characters"] = sorted({c for c, _ in lines})
            scene["dialogue"] = [{"character": c, "line": text} for c, text in lines]
            scene["targetDuration"] = 2
    return body


@pytest.fixture
def made(api):
    """A drama of one episode, made end to end."""
    drama = api.post("/dramas", voiced_body(), format="json").json()
    run = drain(generate(api, drama["id"])["id"], timeout=300)
    assert run.status == Job.Status.COMPLETED, [
        (n.node, n.target_key, n.error) for n in nodes_of(run.public_id) if n.error
    ]
    return drama


def current(kind: str, **where) -> list[Asset]:
    return list(Asset.objects.filter(kind=kind, is_current=True, **where).order_by("slot"))


def test_every_line_is_its_own_audio_asset_that_lasts_what_it_says(made):
    lines = current(Asset.Kind.DIALOGUE_AUDIO)

    assert len(lines) == 5
    for asset in lines:
        assert asset.content_type == "audio/wav" and asset.media_type == "audio"
        seconds = probe_duration(Path(asset.file.path))
        assert seconds == pytest.approx(asset.metadata["durationSeconds"], abs=0.03)
        # Speech, not silence or a stub: at least a few words' worth.
        assert 0.4 < seconds < 6
    by_line = {(a.scene.key, a.metadata["line"]): a for a in lines}
    assert by_line[("sc_01_02", 2)].prompt == "Not everything."


def test_each_characters_lines_are_spoken_in_a_voice_of_their_own(made):
    lines = current(Asset.Kind.DIALOGUE_AUDIO)
    voices = {c.key: c.voice for c in Character.objects.all()}
    spoken: dict[str, set[str]] = {}
    for asset in lines:
        spoken.setdefault(asset.metadata["character"], set()).add(asset.metadata["serviceVoice"])

    # One voice per character across all their lines, and no two characters share one.
    assert all(len(v) == 1 for v in spoken.values()), spoken
    assert len({next(iter(v)) for v in spoken.values()}) == 3
    # The offline voice is the espeak parameters of the character's catalogue voice.
    for key, service_voices in spoken.items():
        params = espeak_voice(dag.voice_of(Character.objects.get(key=key)))
        assert next(iter(service_voices)) == (
            f"en-us+{params.variant} -p {params.pitch} -s {params.speed}"
        )
    # Each line names the catalogue voice of the character who says it.
    assert all(a.metadata["voice"] == voices[a.metadata["character"]] for a in lines)


def test_a_clip_lasts_as_long_as_its_lines_and_the_cut_as_its_scenes(made):
    clips = {a.scene.key: a for a in current(Asset.Kind.CLIP)}
    spoken = {}
    for asset in current(Asset.Kind.DIALOGUE_AUDIO):
        spoken.setdefault(asset.scene.key, []).append(asset.metadata["durationSeconds"])
    for key, clip in clips.items():
        wanted = dag.clip_seconds("local", spoken[key], 2)
        assert clip.parameters["durationSeconds"] == wanted
        assert probe_duration(Path(clip.file.path)) == pytest.approx(wanted, abs=0.1)

    cut = current(Asset.Kind.EPISODE_CUT)[0]
    length = probe_duration(Path(cut.file.path))
    assert length == pytest.approx(sum(c.parameters["durationSeconds"] for c in clips.values()),
                                   abs=0.1)  # fmt: skip
    assert cut.metadata["durationSeconds"] == pytest.approx(length, abs=0.1)


def test_the_cut_is_at_minus_14_lufs_with_every_line_subtitled_in_order(made):
    cut = current(Asset.Kind.EPISODE_CUT)[0]
    path = Path(cut.file.path)

    assert integrated_loudness(path) == pytest.approx(-14.0, abs=1.0)
    assert cut.metadata["loudnessLufs"] == pytest.approx(-14.0, abs=1.0)
    texts = [text for scene in LINES for _, text in scene]
    track = track_cues(path)
    assert [text.split(": ", 1)[1] for _, _, text in track] == texts
    vtt = current(Asset.Kind.SUBTITLES)[0]
    assert vtt.content_type == "text/vtt"
    body = vtt.file.open("rb").read().decode()
    assert body.startswith("WEBVTT")
    positions = [body.index(text) for text in texts]
    assert positions == sorted(positions)
    # The cues sit where the lines are heard: each starts as its audio starts in the track.
    assert [start for start, _, _ in track] == sorted(start for start, _, _ in track)


def test_the_episode_exports_as_an_opentimelineio_file_of_its_clips_lines_and_music(made, api):
    export = current(Asset.Kind.TIMELINE)[0]
    cut = current(Asset.Kind.EPISODE_CUT)[0]
    response = api.get(f"/asset-library/{export.public_id}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.pixar.opentimelineio+json")
    text = b"".join(response.streaming_content).decode() if response.streaming else (
        response.content.decode())  # fmt: skip
    timeline = otio.adapters.read_from_string(text, "otio_json")

    tracks = {t.name: t for t in timeline.tracks}
    rate = 24
    video = tracks["Video"]
    assert video.kind == otio.schema.TrackKind.Video
    assert video.duration().to_seconds() == pytest.approx(cut.metadata["durationSeconds"],
                                                          abs=1 / rate)  # fmt: skip
    played = [c for c in video.find_clips()]
    assert sum(c.duration().to_seconds() for c in played) == pytest.approx(
        probe_duration(Path(cut.file.path)), abs=0.1
    )
    # Each line's audio sits where the cut plays it (its subtitle cue's start).
    cues = track_cues(Path(cut.file.path))
    dialogue = list(tracks["Dialogue"].find_clips())
    assert len(dialogue) == 5
    for clip, (start, _, _) in zip(dialogue, cues, strict=True):
        assert clip.range_in_parent().start_time.to_seconds() == pytest.approx(start, abs=0.05)
        line = Asset.objects.get(public_id=clip.metadata["drama_platform"]["assetId"])
        assert clip.media_reference.target_url.endswith(f"/asset-library/{line.public_id}")
    music = list(tracks["Music"].find_clips())
    assert music and tracks["Music"].duration().to_seconds() == pytest.approx(
        video.duration().to_seconds(), abs=1 / rate
    )
    assert [m.name for m in timeline.tracks.markers] == ["Scene 1", "Scene 2"]


def test_the_offline_music_bed_is_a_placeholder_chosen_by_genre_and_tone(made):
    bed = current(Asset.Kind.MUSIC)[0]
    assert bed.media_type == "audio" and bed.metadata["placeholder"] is True
    assert bed.parameters["genre"] == "thriller" and bed.parameters["tone"] == "tense"
    assert probe_duration(Path(bed.file.path)) == pytest.approx(
        bed.metadata["durationSeconds"], abs=0.05
    )


def tone_wav(path: Path, seconds: float = 8.0) -> bytes:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=330:duration={seconds}", "-ar", "44100", str(path)],
                   check=True, timeout=60)  # fmt: skip
    return path.read_bytes()


def test_music_comes_from_the_library_when_an_upload_is_tagged_for_it(api, tmp_path, calls):
    for name, tag in (("calm.wav", "music calm comedy"), ("tense.wav", "music thriller tense")):
        tone_wav(tmp_path / name)
        with open(tmp_path / name, "rb") as handle:
            uploaded = api.post("/asset-library/upload", {"file": handle, "tag": tag},
                                format="multipart")  # fmt: skip
        assert uploaded.status_code == 201, uploaded.content
    drama = api.post("/dramas", voiced_body(), format="json").json()

    run = drain(generate(api, drama["id"])["id"], timeout=300)

    assert run.status == Job.Status.COMPLETED
    bed = current(Asset.Kind.MUSIC)[0]
    chosen = Asset.objects.get(public_id=bed.metadata["libraryAssetId"])
    assert chosen.tag == "music thriller tense" and bed.sha256 == chosen.sha256
    assert bed.model == dag.LIBRARY_MUSIC and "placeholder" not in bed.metadata
    assert "music" not in calls  # nothing synthesised
    assert bed.metadata["durationSeconds"] == pytest.approx(8.0, abs=0.05)  # read at the upload


def test_editing_one_line_revoices_that_line_and_recuts_only_its_episode(api, calls):
    drama = api.post("/dramas", voiced_body(episodes=2), format="json").json()
    drain(generate(api, drama["id"])["id"], timeout=300)
    cuts_before = {a.episode.key: a.pk for a in current(Asset.Kind.EPISODE_CUT)}
    calls.clear()
    scene = api.get(f"/dramas/{drama['id']}/episodes/ep_02/scenes/sc_02_01").json()
    dialogue = [{"character": d["character"], "line": d["line"]} for d in scene["dialogue"]]
    dialogue[1]["line"] = "Then you open without us."

    edited = api.patch(f"/dramas/{drama['id']}/episodes/ep_02/scenes/sc_02_01",
                       {"dialogue": dialogue}, format="json")  # fmt: skip
    assert edited.status_code == 200, edited.content
    run = drain(generate(api, drama["id"])["id"], timeout=300)

    made = {(n.node, n.target_key) for n in nodes_of(run.public_id)
            if not n.metadata.get("satisfied")}  # fmt: skip
    assert made == {("dialogue_audio", "sc_02_01#1"), ("episode_cut", "ep_02")}
    assert calls == {"speech": 1}
    cuts_after = {a.episode.key: a.pk for a in current(Asset.Kind.EPISODE_CUT)}
    assert cuts_after["ep_01"] == cuts_before["ep_01"]
    assert cuts_after["ep_02"] != cuts_before["ep_02"]
    line = Asset.objects.get(slot__endswith=":dialogue_audio:1", scene__key="sc_02_01",
                             is_current=True)  # fmt: skip
    assert line.version == 2 and line.prompt == "Then you open without us."


def test_a_new_voice_for_a_character_revoices_only_their_lines(api, made, calls):
    calls.clear()
    taken = set(Character.objects.values_list("voice", flat=True))
    new = next(name for name in ("Gacrux", "Kore", "Charon", "Puck") if name not in taken)
    changed = api.patch(f"/dramas/{made['id']}/characters/char_003", {"voice": new},
                        format="json")  # fmt: skip
    assert changed.status_code == 200, changed.content

    run = drain(generate(api, made["id"])["id"], timeout=300)

    made_now = {(n.node, n.target_key) for n in nodes_of(run.public_id)
                if not n.metadata.get("satisfied")}  # fmt: skip
    assert made_now == {("dialogue_audio", "sc_01_02#2"), ("episode_cut", "ep_01")}
    assert calls == {"speech": 1}
    line = current(Asset.Kind.DIALOGUE_AUDIO, scene__key="sc_01_02")[-1]
    assert line.metadata["voice"] == new
