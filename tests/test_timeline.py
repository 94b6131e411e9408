"""The episode's editorial export as OpenTimelineIO (generation.timeline): plain data in, a
file OTIO itself reads, with every track exactly as long as the cut."""

from __future__ import annotations

import re

import opentimelineio as otio
import pytest

from generation.timeline import (
    EXTENSION,
    MEDIA_TYPE,
    TimelineClip,
    TimelineMarker,
    episode_timeline,
    summary,
)

FPS = 24
# Three scenes; the second's clip is 0.75 s shorter than its scene, the third's longer.
SCENES = [
    TimelineClip("Scene 1", "https://media.example/s1.mp4", 0.0, 4.0, 4.0, {"scene": 1}),
    TimelineClip("Scene 2", "https://media.example/s2.mp4", 4.0, 3.5, 2.75, {"scene": 2}),
    TimelineClip("Scene 3", "https://media.example/s3.mp4", 7.5, 2.7, 5.0, {"scene": 3}),
]
DURATION = 10.2
LINES = [
    TimelineClip("Mara: Who's there?", "https://media.example/l1.wav", 0.4, 1.6, 1.6),
    TimelineClip("Jon: Only me.", "https://media.example/l2.wav", 4.3, 1.2, 0.9),
    TimelineClip("Mara: Liar.", "https://media.example/l3.wav", 8.05, 0.8),
]
BED = TimelineClip("Bed", "https://media.example/bed.mp3", 0.0, DURATION, 4.0)
MARKERS = [
    TimelineMarker("Scene 1: The knock", 0.0, 4.0, "night, rain"),
    TimelineMarker("Scene 2: The hallway", 4.0, 3.5),
    TimelineMarker("Scene 3: The lie", 7.5, 2.7),
]
CUT = TimelineClip("Episode 1", "https://media.example/episode-1.mp4", 0.0, DURATION, DURATION)


def export(**overrides) -> str:
    arguments = {
        "name": "Episode 1",
        "fps": FPS,
        "duration": DURATION,
        "video": SCENES,
        "dialogue": LINES,
        "music": BED,
        "markers": MARKERS,
        "cut": CUT,
        "metadata": {"episode": 1, "drama": "Rainy Door", "loudness": {"lufs": -14.0}},
    }
    arguments.update(overrides)
    return episode_timeline(**arguments)


def track(timeline: otio.schema.Timeline, name: str) -> otio.schema.Track:
    (found,) = [track for track in timeline.tracks if track.name == name]
    return found


def frames(seconds: float) -> int:
    return round(seconds * FPS)


def clips(track: otio.schema.Track) -> list[otio.schema.Clip]:
    return [item for item in track if isinstance(item, otio.schema.Clip)]


def test_it_writes_a_file_opentimelineio_reads():
    timeline = otio.adapters.read_from_string(export(), "otio_json")

    assert isinstance(timeline, otio.schema.Timeline)
    assert timeline.name == "Episode 1"
    assert timeline.global_start_time == otio.opentime.RationalTime(0, FPS)
    assert [(t.name, t.kind, t.enabled) for t in timeline.tracks] == [
        ("Video", otio.schema.TrackKind.Video, True),
        ("Cut", otio.schema.TrackKind.Video, False),
        ("Dialogue", otio.schema.TrackKind.Audio, True),
        ("Music", otio.schema.TrackKind.Audio, True),
    ]
    assert MEDIA_TYPE == "application/vnd.pixar.opentimelineio+json"
    assert EXTENSION == "otio"


def test_it_round_trips_through_opentimelineio():
    text = export()
    timeline = otio.adapters.read_from_string(text, "otio_json")
    again = otio.adapters.read_from_string(
        otio.adapters.write_to_string(timeline, "otio_json"), "otio_json"
    )

    assert again.is_equivalent_to(timeline)
    assert otio.adapters.write_to_string(again, "otio_json") == text


def test_it_makes_every_track_as_long_as_the_cut_in_whole_frames():
    timeline = otio.adapters.read_from_string(export(), "otio_json")
    cut_frames = frames(CUT.duration)

    for each in timeline.tracks:
        assert each.duration() == otio.opentime.RationalTime(cut_frames, FPS), each.name
    video = track(timeline, "Video")
    assert sum(item.duration().value for item in video) == cut_frames
    assert timeline.duration().to_seconds() == pytest.approx(DURATION, abs=0.5 / FPS)


def test_it_sits_each_scene_clip_at_its_scene_and_holds_the_last_frame_of_a_short_one():
    video = track(otio.adapters.read_from_string(export(), "otio_json"), "Video")
    items = list(video)

    assert [item.name for item in items] == ["Scene 1", "Scene 2", "Scene 2 (hold)", "Scene 3"]
    first, second, hold, third = items
    assert video.range_of_child(second).start_time.value == frames(4.0)
    assert second.source_range == otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, FPS), otio.opentime.RationalTime(frames(2.75), FPS)
    )
    # The hold shows the clip's last frame, frozen, for the rest of the scene.
    assert [type(effect) for effect in hold.effects] == [otio.schema.FreezeFrame]
    assert hold.source_range.start_time.value == frames(2.75) - 1
    assert hold.duration().value == frames(3.5) - frames(2.75)
    assert hold.media_reference.target_url == second.media_reference.target_url
    assert hold.metadata["drama_platform"]["hold"] is True
    # A clip longer than its scene is trimmed; its media keeps its own length.
    assert third.duration().value == frames(10.2) - frames(7.5)
    assert third.media_reference.available_range.duration.value == frames(5.0)
    assert video.range_of_child(third).start_time.value == frames(7.5)
    assert len(first.effects) == 0


def test_it_fills_the_time_between_scenes_with_gaps():
    scenes = [
        TimelineClip("Scene 1", "https://media.example/s1.mp4", 0.5, 2.0),
        TimelineClip("Scene 2", "https://media.example/s2.mp4", 3.0, 2.0),
    ]
    video = track(
        otio.adapters.read_from_string(
            export(video=scenes, duration=6.0, cut=None, music=None, dialogue=[], markers=[]),
            "otio_json",
        ),
        "Video",
    )

    assert [type(item).__name__ for item in video] == ["Gap", "Clip", "Gap", "Clip", "Gap"]
    assert [item.duration().value for item in video] == [12, 48, 12, 48, 24]
    assert video.range_of_child(clips(video)[1]).start_time.value == frames(3.0)


def test_it_places_each_line_at_its_time_to_the_frame():
    dialogue = track(otio.adapters.read_from_string(export(), "otio_json"), "Dialogue")
    lines = clips(dialogue)

    assert [clip.name for clip in lines] == [line.name for line in LINES]
    for clip, line in zip(lines, LINES, strict=True):
        assert clip.range_in_parent().start_time == otio.opentime.RationalTime(
            frames(line.start), FPS
        )
    # A line whose audio is shorter than its slot plays once and is followed by silence.
    jon = lines[1]
    assert jon.duration().value == frames(0.9)
    after = dialogue[dialogue.index(jon) + 1]
    assert isinstance(after, otio.schema.Gap)


def test_it_loops_a_short_music_bed_over_the_whole_episode():
    music = track(otio.adapters.read_from_string(export(), "otio_json"), "Music")
    passes = list(music)

    assert all(isinstance(item, otio.schema.Clip) for item in passes)
    assert [item.duration().value for item in passes] == [96, 96, frames(DURATION) - 192]
    assert all(item.source_range.start_time.value == 0 for item in passes)
    assert all(
        item.source_range.duration <= item.media_reference.available_range.duration
        for item in passes
    )
    assert music.duration().value == frames(DURATION)


def test_it_trims_a_long_music_bed_to_one_clip():
    bed = TimelineClip("Bed", "https://media.example/long.mp3", 0.0, DURATION, 60.0)
    music = track(otio.adapters.read_from_string(export(music=bed), "otio_json"), "Music")

    (clip,) = list(music)
    assert clip.source_range.duration.value == frames(DURATION)
    assert clip.media_reference.available_range.duration.value == frames(60.0)


def test_it_marks_each_scene_with_its_name():
    timeline = otio.adapters.read_from_string(export(), "otio_json")
    markers = list(timeline.tracks.markers)

    assert [marker.name for marker in markers] == [marker.name for marker in MARKERS]
    assert [m.marked_range.start_time.value for m in markers] == [0, frames(4.0), frames(7.5)]
    assert markers[0].marked_range.duration.value == frames(4.0)
    assert markers[0].comment == "night, rain"


def test_it_keeps_each_url_on_its_media_reference():
    timeline = otio.adapters.read_from_string(export(), "otio_json")
    urls = {
        clip.media_reference.target_url
        for clip in timeline.find_clips()
        if isinstance(clip.media_reference, otio.schema.ExternalReference)
    }

    assert urls == {clip.url for clip in [*SCENES, *LINES, BED, CUT]}
    cut = clips(track(timeline, "Cut"))[0]
    assert cut.media_reference.target_url == CUT.url


def test_it_keeps_metadata_under_the_drama_platform_namespace():
    timeline = otio.adapters.read_from_string(export(), "otio_json")

    assert timeline.metadata["drama_platform"]["episode"] == 1
    assert timeline.metadata["drama_platform"]["loudness"]["lufs"] == -14.0
    scene = clips(track(timeline, "Video"))[0]
    assert scene.metadata["drama_platform"]["scene"] == 1


def test_it_adds_up_awkward_durations_to_exactly_the_rounded_frames():
    # Scenes of 0.37 s (8.88 frames at 24 fps) rarely start on a frame; the items still add up,
    # and a bed of 0.5 s loops over them.
    scenes = [
        TimelineClip(f"Scene {i}", f"https://media.example/{i}.mp4", i * 0.37, 0.37, 0.2)
        for i in range(7)
    ]
    duration = 7 * 0.37
    bed = TimelineClip("Bed", "https://media.example/bed.mp3", 0.1, duration - 0.1, 0.5)
    lines = [TimelineClip("A", "https://media.example/a.wav", 0.41, 0.33, 0.29)]
    timeline = otio.adapters.read_from_string(
        export(video=scenes, duration=duration, cut=None, dialogue=lines, music=bed, markers=[]),
        "otio_json",
    )

    for each in timeline.tracks:
        assert sum(item.duration().value for item in each) == round(duration * FPS)


def test_it_lets_a_clip_start_where_the_one_before_ends_despite_float_noise():
    # 0.03 + 0.42 is 0.44999999999999996 in floats, 13.4999… frames at 30 fps; 0.45 is 13.5.
    lines = [
        TimelineClip("A", "https://media.example/a.wav", 0.03, 0.42),
        TimelineClip("B", "https://media.example/b.wav", 0.45, 0.5),
    ]
    timeline = otio.adapters.read_from_string(
        export(fps=30, duration=1.0, video=[], dialogue=lines, music=None, markers=[], cut=None),
        "otio_json",
    )

    a, b = clips(track(timeline, "Dialogue"))
    assert a.range_in_parent().end_time_exclusive() == b.range_in_parent().start_time
    assert b.range_in_parent().start_time.value == 14


def test_it_sorts_scene_clips_into_time_order():
    timeline = otio.adapters.read_from_string(export(video=SCENES[::-1]), "otio_json")

    names = [clip.name for clip in clips(track(timeline, "Video")) if not clip.effects]
    assert names == ["Scene 1", "Scene 2", "Scene 3"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fps": 0}, "fps must be a whole number of at least 1"),
        ({"fps": 23.976}, "fps must be a whole number of at least 1"),
        ({"duration": -1.0}, "the episode's duration must be positive"),
        ({"duration": float("nan")}, "the episode's duration must be a finite number"),
        (
            {"video": [TimelineClip("Scene 1", "https://media.example/1.mp4", 0.0, -2.0)]},
            "the duration of 'Scene 1' on Video must be positive",
        ),
        (
            {"video": [TimelineClip("Scene 1", "https://media.example/1.mp4", -1.0, 2.0)]},
            "the start of 'Scene 1' on Video must be zero or more",
        ),
        (
            {
                "dialogue": [
                    TimelineClip("A", "https://media.example/a.wav", 1.0, 2.0),
                    TimelineClip("B", "https://media.example/b.wav", 2.5, 1.0),
                ]
            },
            "'B' starts at 2.5s on Dialogue, before 'A' ends at 3.0s: clips on one track may not "
            "overlap",
        ),
        (
            {"video": [TimelineClip("Scene 9", "https://media.example/9.mp4", 9.0, 3.0)]},
            "'Scene 9' on Video ends at 12.0s, after the episode's end",
        ),
        (
            {"video": [TimelineClip("Scene 1", "", 0.0, 2.0)]},
            "'Scene 1' on Video has no media URL",
        ),
        (
            {"cut": TimelineClip("Episode 1", "https://media.example/e.mp4", 0.0, 9.0)},
            "the cut 'Episode 1' plays 0.0s to 9.0s but the episode runs 0s to 10.2s",
        ),
        ({"markers": [TimelineMarker("Late", 11.0, 1.0)]}, "marker 'Late' at 11.0s runs past"),
        ({"metadata": {"made": object()}}, "the timeline's metadata holds a value OTIO cannot"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(overrides, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        export(**overrides)


def test_it_summarises_each_track_and_the_markers():
    report = summary(export())

    assert report["name"] == "Episode 1"
    assert report["fps"] == FPS
    assert report["duration"] == pytest.approx(frames(DURATION) / FPS)
    assert report["metadata"] == {
        "episode": 1,
        "drama": "Rainy Door",
        "loudness": {"lufs": -14.0},
    }
    assert [(t["name"], t["kind"], t["clips"], t["holds"]) for t in report["tracks"]] == [
        ("Video", "Video", 3, 1),
        ("Cut", "Video", 1, 0),
        ("Dialogue", "Audio", 3, 0),
        ("Music", "Audio", 3, 0),
    ]
    assert {t["duration"] for t in report["tracks"]} == {frames(DURATION) / FPS}
    assert report["markers"][0] == {
        "name": "Scene 1: The knock",
        "start": 0.0,
        "duration": 4.0,
        "note": "night, rain",
    }
    assert [marker["name"] for marker in report["markers"]] == [m.name for m in MARKERS]


def test_it_refuses_to_summarise_what_is_not_a_timeline():
    with pytest.raises(ValueError, match="not an OpenTimelineIO timeline"):
        summary("{not json")
    with pytest.raises(ValueError, match="not an OpenTimelineIO timeline but a Clip"):
        summary(otio.adapters.write_to_string(otio.schema.Clip(name="x"), "otio_json"))
