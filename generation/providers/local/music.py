"""Offline music beds synthesised with ffmpeg: a PLACEHOLDER, not composed music.

A bed is a four-chord progression held as a soft pad over a bass note, with a pulse on the
beat, in a key, mode and tempo picked from the drama's genre and tone: minor and slow for
thrillers and dark tones, major and brighter for comedy and romance, between for the rest.
It lasts a whole number of passes through the progression and fades to silence at each bar
line, so it loops without a seam under a cut of any length. Same arguments, same bytes.
Free. A real score comes from a music service; this only keeps the offline pipeline's cut
sounding like an episode.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import imageio_ffmpeg

from generation.providers.base import CallRecord, ProviderError, Usage
from generation.providers.pricing import estimate_cost

PLACEHOLDER_NOTE = (
    "Placeholder music: a chord progression synthesised offline by ffmpeg from the genre and "
    "tone, not a composed score."
)
SAMPLE_RATE = 24000  # a pad and a pulse: nothing above a few kHz
MIN_SECONDS, MAX_SECONDS = 20.0, 60.0
TIMEOUT = 60.0
# Roots of the keys a bed may be in (Hz): A2, B2, C3, D3, E3, F3, G2.
ROOTS = (110.0, 123.47, 130.81, 146.83, 164.81, 174.61, 98.0)


@dataclass(frozen=True)
class Mood:
    name: str
    bpm: int
    # Each chord of the progression as semitones above the key's root, three notes.
    chords: tuple[tuple[int, int, int], ...]
    # The pulse: its pitch as a multiple of the chord's root, how fast it dies away, beats
    # a bar that carry it, and its level beside the pad.
    pulse_pitch: float
    pulse_decay: float
    pulse_beats: int
    pulse_level: float


# i - VI - III - VII, slow, a low heartbeat on beats one and three.
DARK = Mood("dark", 66, ((0, 3, 7), (-4, 0, 3), (3, 7, 10), (-2, 2, 5)), 0.5, 9.0, 2, 0.55)
# I - V - vi - IV, lively, a pluck an octave up on every beat.
BRIGHT = Mood("bright", 100, ((0, 4, 7), (-5, -1, 2), (-3, 0, 4), (-7, -3, 0)), 2.0, 14.0, 4,
              0.35)  # fmt: skip
# i - iv - VI - V, between the two.
EVEN = Mood("even", 84, ((0, 3, 7), (5, 8, 12), (-4, 0, 3), (-5, -1, 2)), 1.0, 11.0, 2, 0.3)
DARK_WORDS = ("thriller", "horror", "mystery", "crime", "noir", "dark", "tense", "suspense",
              "revenge", "grim", "ominous", "sinister", "tragic", "sad", "melanchol")  # fmt: skip
BRIGHT_WORDS = ("comedy", "romance", "romantic", "rom-com", "light", "warm", "sweet", "fun",
                "hopeful", "playful", "cheerful", "heartwarming", "upbeat")  # fmt: skip


@dataclass
class MusicResult:
    data: bytes  # a whole WAV file
    content_type: str
    model: str
    duration_seconds: float
    metadata: dict[str, Any] = field(default_factory=dict)


def mood_for(genre: str, tone: str) -> Mood:
    """The mood a genre and tone call for: a dark word anywhere wins over a bright one."""
    words = f"{genre} {tone}".lower()
    if any(word in words for word in DARK_WORDS):
        return DARK
    if any(word in words for word in BRIGHT_WORDS):
        return BRIGHT
    return EVEN


def root_for(genre: str, tone: str) -> float:
    digest = hashlib.sha256(f"{genre.strip().lower()}|{tone.strip().lower()}".encode()).digest()
    return ROOTS[digest[0] % len(ROOTS)]


def loop_length(mood: Mood, seconds: float) -> tuple[int, float]:
    """Passes through the progression nearest `seconds` that keep the bed within 20-60 s,
    and the seconds they last."""
    cycle = 4 * 60 / mood.bpm * len(mood.chords)
    wanted = min(MAX_SECONDS, max(MIN_SECONDS, seconds))
    passes = max(1, round(wanted / cycle))
    while passes * cycle < MIN_SECONDS:
        passes += 1
    while passes > 1 and passes * cycle > MAX_SECONDS:
        passes -= 1
    return passes, passes * cycle


def pick(index: str, values: list[float]) -> str:
    """An expression for values[index] (index an expression of 0 to len-1)."""
    expression = f"{values[-1]:.4f}"
    for n in range(len(values) - 2, -1, -1):
        expression = f"if(eq({index},{n}),{values[n]:.4f},{expression})"
    return expression


def expression(mood: Mood, root: float, *, side: int) -> str:
    """One channel of the bed as an aevalsrc expression of t. `side` (0 or 1) detunes the pad
    a little and plays the pulse softer on the right, so the two channels make a stereo image."""
    bar = 4 * 60 / mood.bpm
    beat = bar / 4 * (4 // mood.pulse_beats)
    chords = len(mood.chords)
    # The pad an octave above the root, the bass at it.
    notes = [[2 * root * 2 ** (chord[k] / 12) for chord in mood.chords] for k in range(3)]
    detune = 1.0 + 0.0015 * (1 if side else -1)
    chord = f"mod(floor(t/{bar:.6f}),{chords})"
    parts = [
        # st(0): the chord's index; st(1): where in the bar (0-1); st(2): the bar's envelope,
        # silent at each bar line, so chords change and the loop wraps without a click.
        f"st(0,{chord})",
        f"st(1,mod(t,{bar:.6f})/{bar:.6f})",
        "st(2,min(1,ld(1)*6)*min(1,(1-ld(1))*5))",
        # st(3): where in the pulse's beat (0-1); st(4), st(5), st(6): the chord's notes.
        f"st(3,mod(t,{beat:.6f})/{beat:.6f})",
        *(f"st({4 + k},{pick('ld(0)', notes[k])})" for k in range(3)),
    ]
    pad = "+".join(
        f"sin(2*PI*ld({4 + k})*{detune:.4f}*t)+0.25*sin(4*PI*ld({4 + k})*t)" for k in range(3)
    )
    bass = "0.8*sin(PI*ld(4)*t)"
    pulse = (
        f"{mood.pulse_level * (0.8 if side else 1.0)}*(1-exp(-ld(3)*80))"
        f"*exp(-ld(3)*{mood.pulse_decay})*sin(2*PI*ld(4)*{mood.pulse_pitch / 2:.3f}*t)"
    )
    parts.append(f"0.09*ld(2)*({pad}+{bass})+0.25*{pulse}")
    return ";".join(parts)


def compose(genre: str, tone: str, seconds: float) -> bytes:
    """A WAV music bed (24 kHz stereo, 16-bit) for a drama of this genre and tone, of about
    `seconds` (kept to 20-60 s, whole passes through its progression). Raises ProviderError
    when ffmpeg fails."""
    mood = mood_for(genre, tone)
    _, length = loop_length(mood, seconds)
    root = root_for(genre, tone)
    source = (f"aevalsrc='{expression(mood, root, side=0)}|{expression(mood, root, side=1)}'"
              f":s={SAMPLE_RATE}:d={length:.6f}")  # fmt: skip
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
               "-f", "lavfi", "-i", source, "-c:a", "pcm_s16le", "-map_metadata", "-1",
               "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "wav", "-"]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        raise ProviderError(f"ffmpeg ran past {TIMEOUT:g} s composing the music bed",
                            retryable=True, reason="render_failed") from None  # fmt: skip
    if result.returncode != 0 or not result.stdout:
        raise ProviderError(
            f"ffmpeg failed: {result.stderr.decode(errors='replace')[-400:]}",
            retryable=False,
            reason="render_failed",
        )
    return result.stdout


class LocalMusicProvider:
    """Music beds made offline: placeholders, marked so in each result's metadata."""

    name = "local"
    model = "offline-music-1"

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []

    def compose(self, genre: str, tone: str, seconds: float) -> MusicResult:
        started = time.monotonic()
        mood = mood_for(genre, tone)
        passes, length = loop_length(mood, seconds)
        data = compose(genre, tone, seconds)
        usage = Usage(audio_seconds=round(length, 3))
        self.calls.append(
            CallRecord(provider=self.name, model=self.model, operation="music",
                       latency_ms=int((time.monotonic() - started) * 1000), attempts=1,
                       usage=usage, cost_usd=estimate_cost(self.model, usage))
        )  # fmt: skip
        return MusicResult(
            data=data, content_type="audio/wav", model=self.model, duration_seconds=length,
            metadata={"placeholder": True, "note": PLACEHOLDER_NOTE, "mood": mood.name,
                      "bpm": mood.bpm, "root_hz": root_for(genre, tone), "passes": passes,
                      "loopable": True},
        )  # fmt: skip
