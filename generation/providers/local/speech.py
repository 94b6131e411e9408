"""Offline speech from espeak-ng (the Debian package; `make setup` installs it): a WAV per line.

Each catalogue voice gets its own espeak voice: a variant (`m1`…`m7` for men, `f1`…`f5` for
women), a pitch and a speed, from the voice's number, gender and age (older voices slower and
lower, young ones faster and higher), so that the thirty voices of the catalogue all sound
different. Same request, same bytes. Free.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from generation.providers.audio import read_wav
from generation.providers.base import (
    CallRecord,
    ProviderError,
    SpeechRequest,
    SpeechResult,
    Usage,
    Voice,
)
from generation.providers.pricing import estimate_cost

MALE_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7")
FEMALE_VARIANTS = ("f1", "f2", "f3", "f4", "f5")
# espeak-ng's pitch is 0 to 99 (50 is its default), its speed words a minute (175 default).
BASE_PITCH = {
    ("female", "young"): 70,
    ("female", "adult"): 60,
    ("female", "older"): 50,
    ("male", "young"): 50,
    ("male", "adult"): 40,
    ("male", "older"): 30,
}
BASE_SPEED = {"young": 180, "adult": 165, "older": 145}
# Each time the numbers run through the variants again, the next step moves pitch and speed:
# six laps cover the thirty catalogue voices (five laps of seven men, six of five women).
PITCH_STEPS = (0, 8, -8, 4, -4, 12)
SPEED_STEPS = (0, -10, 10, 15, -15, 5)


@dataclass(frozen=True)
class EspeakVoice:
    variant: str  # m1…m7, f1…f5
    pitch: int  # -p, 0 to 99
    speed: int  # -s, words a minute

    def describe(self, language: str = "en-us") -> str:
        return f"{language}+{self.variant} -p {self.pitch} -s {self.speed}"


def espeak_voice(voice: Voice) -> EspeakVoice:
    """The espeak-ng voice for a catalogue voice: a (variant, pitch, speed) of its own for
    every number from 0 to 29, whatever the gender and age (no two of the 180 are alike)."""
    variants = MALE_VARIANTS if voice.gender == "male" else FEMALE_VARIANTS
    number = max(0, voice.number)
    lap = (number // len(variants)) % len(PITCH_STEPS)
    # Within a lap each variant sits a little higher and quicker than the one before, so two
    # voices of one lap (the cast of one drama, often) differ in pitch and pace as well.
    place = number % len(variants) - len(variants) // 2
    pitch = BASE_PITCH.get((voice.gender, voice.age), 50) + PITCH_STEPS[lap] + 3 * place
    speed = BASE_SPEED.get(voice.age, 165) + SPEED_STEPS[lap] + 4 * place
    return EspeakVoice(variants[number % len(variants)], min(99, max(0, pitch)), speed)


def espeak_language(language: str) -> str:
    """espeak-ng's name for a BCP 47 tag: `en-us` and `en-gb` as they are, else the language."""
    tag = (language or "en-US").strip().lower().replace("_", "-")
    if tag in ("en-us", "en-gb"):
        return tag
    return tag.split("-")[0] or "en-us"


class LocalSpeechProvider:
    name = "local"
    model = "espeak-ng"

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []

    def synthesize(self, request: SpeechRequest) -> SpeechResult:
        started = time.monotonic()
        program = shutil.which("espeak-ng")
        if program is None:
            raise ProviderError(
                "espeak-ng is not installed, so offline speech cannot be made: install "
                "espeak-ng (make setup does, from the Debian packages)",
                retryable=False,
                reason="not_installed",
            )
        chosen = espeak_voice(request.voice)
        language = espeak_language(request.language)
        with tempfile.TemporaryDirectory(prefix="speech-") as folder:
            out = Path(folder) / "line.wav"
            # The text is one argument after `--`, never a shell word nor an option.
            command = [program, "-v", f"{language}+{chosen.variant}", "-p", str(chosen.pitch),
                       "-s", str(chosen.speed), "-w", str(out), "--", request.text]  # fmt: skip
            try:
                done = subprocess.run(  # noqa: S603 (a fixed program, no shell)
                    command, capture_output=True, timeout=settings.PROVIDER_TIMEOUT, check=False
                )
            except subprocess.TimeoutExpired:
                raise ProviderError(
                    f"espeak-ng took longer than {settings.PROVIDER_TIMEOUT} s",
                    retryable=True,
                    reason="timeout",
                ) from None
            if done.returncode != 0 or not out.exists():
                said = (done.stderr or done.stdout).decode(errors="replace").strip()
                raise ProviderError(
                    f"espeak-ng failed (exit {done.returncode}): {said or 'no message'}",
                    retryable=False,
                    reason="invalid_request",
                )
            data = out.read_bytes()
        duration = read_wav(data)[1]
        usage = Usage(characters=len(request.text), audio_seconds=duration)
        self.calls.append(
            CallRecord(
                provider=self.name,
                model=self.model,
                operation="speech",
                latency_ms=int((time.monotonic() - started) * 1000),
                attempts=1,
                usage=usage,
                # Free, unless an operator prices the offline model (benchmarks, estimates).
                cost_usd=estimate_cost(self.model, usage),
            )
        )
        return SpeechResult(
            data=data,
            content_type="audio/wav",
            model=self.model,
            duration_seconds=duration,
            voice=chosen.describe(language),
            metadata={
                "offlinePreview": True,
                "variant": chosen.variant,
                "pitch": chosen.pitch,
                "speed": chosen.speed,
                "language": language,
            },
        )
