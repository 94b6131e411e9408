"""The editorial export of an episode: an OpenTimelineIO timeline of its scene clips, voiced
lines, music bed and scene markers, so an editor can open the episode in an NLE and re-cut it.

Plain data in, OTIO JSON text out, no models. Every time is a whole frame at the episode's
`fps`: a point in seconds becomes frame `round_half_up(seconds * fps)`, and an item's length is
the difference of its rounded end and start, so the items of a track add up to exactly
`round(duration * fps)` frames and every track is that long.

Decisions an editor will see:

- A scene whose clip is shorter than the scene plays the clip's whole source, then a second
  clip of the same media, named "… (hold)", that starts on the clip's last frame and carries a
  FreezeFrame effect for the rest of the scene. That is what the cut does (ffmpeg holds the
  last frame) and the shape OTIO's EDL adapter reads and writes as a freeze (M2 at speed 0);
  a tool that ignores the effect still shows the scene's media, where a gap would show black.
- A voiced line (or any audio) shorter than its slot plays once and is followed by a gap:
  silence is what the mix has there.
- The music bed shorter than the time it plays is repeated as whole passes of its source,
  the last pass trimmed, so every clip's source range stays inside the media.
- Scene markers sit on the timeline's tracks stack: they belong to the episode, not to one
  track, and NLEs import them as timeline markers.
- The finished cut, when given, is a disabled video track "Cut" above the scene track: a
  reference to toggle on and compare against, never shown by default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import opentimelineio as otio

MEDIA_TYPE = "application/vnd.pixar.opentimelineio+json"
EXTENSION = "otio"
# Timeline, track and clip metadata live under this key, beside whatever other tools add.
NAMESPACE = "drama_platform"

VIDEO_TRACK = "Video"
DIALOGUE_TRACK = "Dialogue"
MUSIC_TRACK = "Music"
CUT_TRACK = "Cut"


@dataclass(frozen=True)
class TimelineClip:
    """One piece of media on the episode timeline.

    `start` and `duration` are seconds on the episode timeline; `media_duration` is the
    source's own length when it differs (shorter: held or silent for the rest; longer:
    trimmed), or None when the source is taken to cover `duration`.
    """

    name: str
    url: str
    start: float
    duration: float
    media_duration: float | None = None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TimelineMarker:
    name: str
    start: float
    duration: float
    note: str = ""


def episode_timeline(
    *,
    name: str,
    fps: int,
    duration: float,
    video: Sequence[TimelineClip],
    dialogue: Sequence[TimelineClip],
    music: TimelineClip | None,
    markers: Sequence[TimelineMarker],
    cut: TimelineClip | None = None,
    metadata: dict | None = None,
) -> str:
    """The episode as OTIO JSON text: tracks "Video", "Dialogue", "Music" (and a disabled
    "Cut" when `cut` is given), each exactly `round(duration * fps)` frames long, global start
    time 0, the markers on the tracks stack and `metadata` under "drama_platform".

    Raises ValueError for an fps below 1, a non-positive duration, a clip or marker outside
    the episode or shorter than a frame, clips that overlap on one track, a cut whose length
    is not the episode's, or metadata OTIO cannot store.
    """
    if isinstance(fps, bool) or not isinstance(fps, int) or fps < 1:
        raise ValueError(f"fps must be a whole number of at least 1, not {fps!r}")
    _check_seconds(duration, what="the episode's duration", positive=True)
    total = _frames(duration, fps)
    if total < 1:
        raise ValueError(f"the episode's duration {duration}s is shorter than one frame at {fps}")

    timeline = otio.schema.Timeline(name=name)
    timeline.global_start_time = otio.opentime.RationalTime(0, fps)
    _set_metadata(timeline, metadata or {}, what="the timeline's metadata")

    tracks = [
        _track(VIDEO_TRACK, otio.schema.TrackKind.Video, video, fps=fps, total=total, hold=True),
        _track(
            DIALOGUE_TRACK, otio.schema.TrackKind.Audio, dialogue, fps=fps, total=total, hold=False
        ),
        _music_track(music, fps=fps, total=total),
    ]
    if cut is not None:
        if _frames(cut.start, fps) != 0 or _frames(cut.duration, fps) != total:
            raise ValueError(
                f"the cut {cut.name!r} plays {cut.start}s to {cut.start + cut.duration}s but the "
                f"episode runs 0s to {duration}s"
            )
        reference = _track(
            CUT_TRACK, otio.schema.TrackKind.Video, [cut], fps=fps, total=total, hold=True
        )
        reference.enabled = False
        tracks.insert(1, reference)
    timeline.tracks.extend(tracks)

    for marker in markers:
        timeline.tracks.markers.append(_marker(marker, fps=fps, total=total))

    return otio.adapters.write_to_string(timeline, "otio_json")


def summary(otio_text: str) -> dict:
    """What an OTIO timeline holds, for closing notes and the admin: its name, duration in
    seconds, frame rate, "drama_platform" metadata, the stack's markers, and per track its
    name, kind, whether it is enabled, number of clips (frame holds counted apart), duration in
    seconds and markers. Raises ValueError when the text is not an OTIO timeline."""
    try:
        timeline = otio.adapters.read_from_string(otio_text, "otio_json")
    except Exception as error:  # OTIO raises its own and the JSON parser's errors.
        raise ValueError(f"not an OpenTimelineIO timeline: {error}") from error
    if not isinstance(timeline, otio.schema.Timeline):
        raise ValueError(f"not an OpenTimelineIO timeline but a {timeline.schema_name()}")

    tracks = []
    for track in timeline.tracks:
        clips = [item for item in track if isinstance(item, otio.schema.Clip)]
        holds = [clip for clip in clips if _is_hold(clip)]
        tracks.append(
            {
                "name": track.name,
                "kind": track.kind,
                "enabled": track.enabled,
                "clips": len(clips) - len(holds),
                "holds": len(holds),
                "duration": track.duration().to_seconds(),
                "markers": [_marker_summary(marker) for marker in track.markers],
            }
        )
    rate = timeline.duration().rate
    return {
        "name": timeline.name,
        "fps": int(rate) if float(rate).is_integer() else rate,
        "duration": timeline.duration().to_seconds(),
        "metadata": _plain(timeline.metadata.get(NAMESPACE, {})),
        "markers": [_marker_summary(marker) for marker in timeline.tracks.markers],
        "tracks": tracks,
    }


# ---------------------------------------------------------------- building


def _track(
    name: str,
    kind: str,
    clips: Sequence[TimelineClip],
    *,
    fps: int,
    total: int,
    hold: bool,
) -> otio.schema.Track:
    """A track of `clips` at their starts with gaps between and after, `total` frames long.
    Video (`hold`) freezes the last frame of a short source; audio falls silent instead."""
    track = otio.schema.Track(name=name, kind=kind)
    at = 0
    for clip, start, end in _placed(clips, fps=fps, total=total, track=name):
        if start > at:
            track.append(_gap(start - at, fps))
        length = end - start
        media = _media_frames(clip, fps)
        plays = length if media is None else min(media, length)
        track.append(_clip(clip, source_start=0, frames=plays, media=media, fps=fps))
        if plays < length:
            if hold:
                track.append(_hold(clip, frames=length - plays, media=plays, fps=fps))
            else:
                track.append(_gap(length - plays, fps))
        at = end
    if at < total:
        track.append(_gap(total - at, fps))
    return track


def _music_track(music: TimelineClip | None, *, fps: int, total: int) -> otio.schema.Track:
    """The bed where it plays, repeated as whole passes of its source when it is shorter."""
    track = otio.schema.Track(name=MUSIC_TRACK, kind=otio.schema.TrackKind.Audio)
    if music is None:
        track.append(_gap(total, fps))
        return track
    ((clip, start, end),) = _placed([music], fps=fps, total=total, track=MUSIC_TRACK)
    if start > 0:
        track.append(_gap(start, fps))
    media = _media_frames(clip, fps)
    at = start
    while at < end:
        frames = end - at if media is None else min(media, end - at)
        track.append(_clip(clip, source_start=0, frames=frames, media=media, fps=fps))
        at += frames
    if end < total:
        track.append(_gap(total - end, fps))
    return track


def _placed(
    clips: Sequence[TimelineClip], *, fps: int, total: int, track: str
) -> list[tuple[TimelineClip, int, int]]:
    """`clips` with their start and end frames, in time order; refuses overlaps, clips outside
    the episode and clips shorter than a frame."""
    placed = []
    for clip in clips:
        _check_seconds(clip.start, what=f"the start of {clip.name!r} on {track}", positive=False)
        _check_seconds(
            clip.duration, what=f"the duration of {clip.name!r} on {track}", positive=True
        )
        if clip.media_duration is not None:
            _check_seconds(
                clip.media_duration,
                what=f"the media duration of {clip.name!r} on {track}",
                positive=True,
            )
        if not clip.url:
            raise ValueError(f"{clip.name!r} on {track} has no media URL")
        start = _frames(clip.start, fps)
        end = _frames(clip.start + clip.duration, fps)
        if end <= start:
            raise ValueError(
                f"{clip.name!r} on {track} lasts {clip.duration}s, shorter than one frame at {fps}"
            )
        if end > total:
            raise ValueError(
                f"{clip.name!r} on {track} ends at {clip.start + clip.duration}s, after the "
                f"episode's end at {total / fps}s"
            )
        placed.append((clip, start, end))
    placed.sort(key=lambda entry: entry[1])
    for (before, _, before_end), (after, after_start, _) in zip(placed, placed[1:], strict=False):
        if after_start < before_end:
            raise ValueError(
                f"{after.name!r} starts at {after.start}s on {track}, before {before.name!r} "
                f"ends at {before.start + before.duration}s: clips on one track may not overlap"
            )
    return placed


def _clip(
    clip: TimelineClip, *, source_start: int, frames: int, media: int | None, fps: int
) -> otio.schema.Clip:
    result = otio.schema.Clip(
        name=clip.name,
        media_reference=_reference(clip, media=media, fps=fps),
        source_range=_range(source_start, frames, fps),
    )
    _set_metadata(result, clip.metadata, what=f"the metadata of {clip.name!r}")
    return result


def _hold(clip: TimelineClip, *, frames: int, media: int, fps: int) -> otio.schema.Clip:
    """The rest of a scene after its clip ends: the clip's last frame, frozen."""
    result = otio.schema.Clip(
        name=f"{clip.name} (hold)",
        media_reference=_reference(clip, media=media, fps=fps),
        source_range=_range(media - 1, frames, fps),
        effects=[otio.schema.FreezeFrame()],
    )
    _set_metadata(result, {**clip.metadata, "hold": True}, what=f"the metadata of {clip.name!r}")
    return result


def _reference(clip: TimelineClip, *, media: int | None, fps: int) -> otio.schema.ExternalReference:
    available = None if media is None else _range(0, media, fps)
    return otio.schema.ExternalReference(target_url=clip.url, available_range=available)


def _gap(frames: int, fps: int) -> otio.schema.Gap:
    return otio.schema.Gap(duration=otio.opentime.RationalTime(frames, fps))


def _marker(marker: TimelineMarker, *, fps: int, total: int) -> otio.schema.Marker:
    _check_seconds(marker.start, what=f"the start of marker {marker.name!r}", positive=False)
    _check_seconds(marker.duration, what=f"the duration of marker {marker.name!r}", positive=False)
    start = _frames(marker.start, fps)
    end = _frames(marker.start + marker.duration, fps)
    if end > total or start >= total:
        raise ValueError(
            f"marker {marker.name!r} at {marker.start}s runs past the episode's end at "
            f"{total / fps}s"
        )
    return otio.schema.Marker(
        name=marker.name, marked_range=_range(start, end - start, fps), comment=marker.note
    )


def _set_metadata(item: otio.core.SerializableObject, metadata: dict, *, what: str) -> None:
    try:
        item.metadata[NAMESPACE] = dict(metadata)
    except TypeError as error:
        raise ValueError(f"{what} holds a value OTIO cannot store: {error}") from error


# ---------------------------------------------------------------- time


def _frames(seconds: float, fps: int) -> int:
    """The whole frame nearest `seconds`, halves rounded up (not to even), so a boundary two
    clips share rounds the same way for both; float noise (0.03 + 0.42 is 0.44999…) is
    dropped first so one clip's end and the next one's start land on the same frame."""
    value = otio.opentime.RationalTime.from_seconds(seconds, fps).value
    return math.floor(round(value, 6) + 0.5)


def _media_frames(clip: TimelineClip, fps: int) -> int | None:
    if clip.media_duration is None:
        return None
    # A source of a sliver under half a frame still has a frame to show or hold.
    return max(1, _frames(clip.media_duration, fps))


def _range(start: int, frames: int, fps: int) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(start, fps), otio.opentime.RationalTime(frames, fps)
    )


def _check_seconds(value: float, *, what: str, positive: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number of seconds, not {value!r}")
    if value < 0 or (positive and value == 0):
        kind = "positive" if positive else "zero or more"
        raise ValueError(f"{what} must be {kind}, not {value}s")


# ---------------------------------------------------------------- reading


def _is_hold(clip: otio.schema.Clip) -> bool:
    return any(isinstance(effect, otio.schema.FreezeFrame) for effect in clip.effects)


def _marker_summary(marker: otio.schema.Marker) -> dict:
    return {
        "name": marker.name,
        "start": marker.marked_range.start_time.to_seconds(),
        "duration": marker.marked_range.duration.to_seconds(),
        "note": marker.comment,
    }


def _plain(value: object) -> object:
    """OTIO's metadata containers as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(item) for item in value]
    return value
