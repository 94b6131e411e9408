"""The offline music bed: a placeholder chord progression from ffmpeg, read back as audio."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from generation.providers.local.music import (
    PLACEHOLDER_NOTE,
    LocalMusicProvider,
    MusicResult,
    compose,
    mood_for,
    root_for,
)


def samples(data: bytes) -> tuple[np.ndarray, int]:
    """The WAV's samples as floats, one row per frame, and its rate."""
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (2, 2)
        frames = wav.readframes(wav.getnframes())
        rate = wav.getframerate()
    return np.frombuffer(frames, dtype="<i2").reshape(-1, 2) / 32768.0, rate


def level_at(audio: np.ndarray, rate: int, frequency: float) -> float:
    spectrum = np.abs(np.fft.rfft(audio[:, 0] * np.hanning(len(audio))))
    bins = np.fft.rfftfreq(len(audio), 1 / rate)
    near = np.abs(bins - frequency) < 1.5
    return float(spectrum[near].max())


@pytest.fixture(scope="module")
def thriller() -> bytes:
    return compose("thriller", "dark and tense", 30)


def test_it_makes_the_same_bytes_for_the_same_arguments(thriller):
    assert compose("thriller", "dark and tense", 30) == thriller
    assert compose("comedy", "dark and tense", 30) != thriller


@pytest.mark.parametrize("asked", [5, 30, 45, 600])
def test_a_bed_lasts_20_to_60_seconds_in_whole_passes_near_the_length_asked(asked):
    result = LocalMusicProvider().compose("romance", "sweet", asked)
    audio, rate = samples(result.data)
    seconds = len(audio) / rate
    assert 20 <= seconds <= 60
    assert seconds == pytest.approx(result.duration_seconds, abs=1 / rate)
    bar = 4 * 60 / result.metadata["bpm"]
    assert seconds / (4 * bar) == pytest.approx(result.metadata["passes"], abs=1e-3)
    assert abs(seconds - min(60, max(20, asked))) < 4 * bar  # within one pass


def test_it_loops_without_a_click(thriller):
    audio, rate = samples(thriller)
    # Quiet at both ends, and the step from the last sample back to the first no bigger than
    # the steps inside the bed: played in a loop, it has no seam.
    edge = rate // 200
    assert np.abs(audio[:edge]).max() < 0.05 and np.abs(audio[-edge:]).max() < 0.05
    steps = np.abs(np.diff(audio, axis=0)).max()
    assert np.abs(audio[0] - audio[-1]).max() <= steps
    assert np.abs(audio[0] - audio[-1]).max() < 0.01
    assert np.sqrt((audio**2).mean()) > 0.05
    assert np.abs(audio).max() < 1.0


def test_a_thriller_is_minor_and_slow_a_comedy_major_and_quicker():
    assert (mood_for("thriller", "").name, mood_for("", "dark").name) == ("dark", "dark")
    assert (mood_for("comedy", "").name, mood_for("Romance", "light").name) == (
        "bright", "bright")  # fmt: skip
    assert mood_for("drama", "").name == "even"
    for genre, tone, third in (("thriller", "grim", 3), ("comedy", "playful", 4)):
        result = LocalMusicProvider().compose(genre, tone, 20)
        audio, rate = samples(result.data)
        bar = 4 * 60 / result.metadata["bpm"]
        # The first chord, its root an octave up: which third sounds above it.
        first = audio[round(0.2 * bar * rate) : round(0.8 * bar * rate)]
        tonic = 2 * root_for(genre, tone)
        minor = level_at(first, rate, tonic * 2 ** (3 / 12))
        major = level_at(first, rate, tonic * 2 ** (4 / 12))
        assert (minor > 5 * major) if third == 3 else (major > 5 * minor)
    dark = LocalMusicProvider().compose("thriller", "", 30).metadata["bpm"]
    bright = LocalMusicProvider().compose("comedy", "", 30).metadata["bpm"]
    assert dark < bright


def test_the_provider_says_the_bed_is_a_placeholder_and_records_the_call():
    provider = LocalMusicProvider()

    result = provider.compose("mystery", "slow burn", 40)

    assert isinstance(result, MusicResult)
    assert (result.content_type, result.model) == ("audio/wav", "offline-music-1")
    assert result.data[:4] == b"RIFF" and result.data[8:12] == b"WAVE"
    assert result.metadata["placeholder"] is True
    assert "placeholder" in PLACEHOLDER_NOTE.lower()
    assert result.metadata["note"] == PLACEHOLDER_NOTE
    [call] = provider.calls
    assert (call.provider, call.model, call.operation) == ("local", "offline-music-1", "music")
    assert call.usage.audio_seconds == pytest.approx(result.duration_seconds, abs=1e-3)
