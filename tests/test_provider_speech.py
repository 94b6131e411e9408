"""Contract tests of the speech providers: Gemini TTS and OpenAI's `/v1/audio/speech` through
their official SDKs against local fakes of the services (tests/fakes/), asserting on what the
servers received, and espeak-ng run for real. Every WAV is read back with `wave` and decoded
by ffmpeg."""

from __future__ import annotations

import io
import json
import re
import subprocess
import wave

import imageio_ffmpeg
import pytest

from generation.providers import registry, retry
from generation.providers.audio import read_wav
from generation.providers.base import ProviderError, SpeechRequest, Voice
from generation.providers.gemini import GeminiSpeechProvider, pcm_rate, speech_text
from generation.providers.local.speech import (
    FEMALE_VARIANTS,
    MALE_VARIANTS,
    EspeakVoice,
    LocalSpeechProvider,
    espeak_voice,
)
from generation.providers.openai import OpenAISpeechProvider, openai_voice
from tests.fakes import gemini_server, openai_server
from tests.fakes.gemini_server import (
    GeminiFake,
    blocked_answer,
    no_image_answer,
    pcm_tone,
    speech_answer,
    speech_voice,
    texts,
)
from tests.fakes.openai_server import SPEECH_PATH, FakeOpenAI, Reply, error_body, wav_bytes
from tests.test_config import error_of, manage

GEMINI_TTS = "gemini-3.8-flash-lite-tts"
LINE = "Close the ledger, Mei. Tonight we count nothing."
KORE = Voice("Kore", gender="female", age="adult", number=0)
CHARON = Voice("Charon", gender="male", age="older", number=1)
LEDA = Voice("Leda", gender="female", age="young", number=2)
PUCK = Voice("Puck", gender="male", age="young", number=3)


def line(voice: Voice = KORE, **overrides) -> SpeechRequest:
    return SpeechRequest(**{"text": LINE, "voice": voice, **overrides})


def wav_info(data: bytes) -> tuple[int, int, int, int]:
    """(channels, sample width, rate, frames) as the standard library reads the WAV."""
    with wave.open(io.BytesIO(data), "rb") as audio:
        return audio.getnchannels(), audio.getsampwidth(), audio.getframerate(), audio.getnframes()


def ffmpeg_seconds(data: bytes, tmp_path) -> float:
    """How much audio ffmpeg decodes from the file (not what its header claims)."""
    path = tmp_path / "speech.wav"
    path.write_bytes(data)
    done = subprocess.run(  # noqa: S603
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    hours, minutes, seconds = re.findall(r"time=(\d+):(\d+):([\d.]+)", done.stderr)[-1]
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list[float]:
    """The retry loop's waits, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setitem(retry.call_with_retries.__kwdefaults__, "sleep", recorded.append)
    return recorded


@pytest.fixture(autouse=True)
def retry_settings(settings):
    settings.MAX_RETRIES = 2
    settings.PROVIDER_TIMEOUT = 5
    settings.PROVIDER_MAX_WAIT = 60
    settings.PRICES_JSON = ""
    return settings


# ================================================================ Gemini TTS
@pytest.fixture
def gemini(settings):
    with GeminiFake(known_models=(GEMINI_TTS,)) as server:
        settings.GEMINI_API_BASE = f"http://127.0.0.1:{server.port}"
        settings.GEMINI_API_KEY = "g-test"
        settings.GEMINI_API_VERSION = "v1beta"
        settings.GEMINI_TTS_MODEL = GEMINI_TTS
        yield server


def test_it_asks_gemini_for_audio_in_the_voice_and_wraps_the_pcm_as_a_wav(gemini, tmp_path):
    pcm = pcm_tone(1.25)
    gemini.reply("generate", speech_answer(pcm))

    result = GeminiSpeechProvider().synthesize(line())

    [sent] = gemini.requests
    assert sent.path == f"/v1beta/models/{GEMINI_TTS}:generateContent"
    assert sent.headers["x-goog-api-key"] == "g-test"
    assert texts(sent) == [LINE]
    assert sent.json["generationConfig"]["responseModalities"] == ["AUDIO"]
    assert speech_voice(sent) == "Kore"
    assert (result.content_type, result.model, result.voice) == ("audio/wav", GEMINI_TTS, "Kore")
    assert wav_info(result.data) == (1, 2, 24000, len(pcm) // 2)
    assert result.data.endswith(pcm)
    assert result.duration_seconds == pytest.approx(1.25)
    assert ffmpeg_seconds(result.data, tmp_path) == pytest.approx(1.25, abs=0.05)


def test_it_gives_distinct_characters_their_distinct_prebuilt_voices(gemini):
    provider = GeminiSpeechProvider()

    spoken = [provider.synthesize(line(voice)).voice for voice in (KORE, CHARON, LEDA, PUCK)]

    assert [speech_voice(sent) for sent in gemini.requests] == ["Kore", "Charon", "Leda", "Puck"]
    assert spoken == ["Kore", "Charon", "Leda", "Puck"]


def test_it_puts_the_delivery_before_the_line_as_gemini_tts_expects(gemini):
    GeminiSpeechProvider().synthesize(line(instructions="tense, under her breath"))

    [sent] = gemini.requests
    assert texts(sent) == [f"Say tense, under her breath: {LINE}"]
    assert speech_text(line(instructions="  cheerfully: ")) == f"Say cheerfully: {LINE}"
    assert speech_text(line()) == LINE


def test_it_reads_the_sample_rate_from_the_mime_type(gemini, tmp_path):
    pcm = pcm_tone(2.0, rate=16000)
    gemini.reply("generate", speech_answer(pcm, mime_type="audio/L16;codec=pcm;rate=16000"))
    gemini.reply("generate", speech_answer(pcm_tone(0.5), mime_type="audio/L16"))
    provider = GeminiSpeechProvider()

    slow, plain = provider.synthesize(line()), provider.synthesize(line())

    assert wav_info(slow.data)[2] == 16000
    assert slow.duration_seconds == pytest.approx(2.0)
    assert ffmpeg_seconds(slow.data, tmp_path) == pytest.approx(2.0, abs=0.05)
    assert wav_info(plain.data)[2] == 24000  # no rate given: Gemini's 24 kHz
    assert plain.duration_seconds == pytest.approx(0.5)
    assert pcm_rate("audio/pcm; rate=44100") == 44100


def test_it_records_the_tokens_and_the_cost_of_a_line(gemini):
    gemini.reply("generate", speech_answer(seconds=2.0, usage=(14, 50)))
    provider = GeminiSpeechProvider()

    provider.synthesize(line())

    [call] = provider.calls
    assert (call.provider, call.model, call.operation, call.attempts) == (
        "gemini",
        GEMINI_TTS,
        "speech",
        1,
    )
    assert (call.usage.input_tokens, call.usage.output_tokens) == (14, 50)
    assert call.usage.characters == len(LINE)
    assert call.usage.audio_seconds == pytest.approx(2.0)
    # $0.50 a million text tokens in, $4 a million audio tokens out.
    assert call.cost_usd == pytest.approx(14 * 0.50 / 1e6 + 50 * 4.0 / 1e6)


def test_it_waits_as_long_as_retry_after_says_then_speaks(gemini, waits):
    gemini.reply(
        "generate",
        gemini_server.error(429, "Resource has been exhausted", headers={"Retry-After": "7"}),
    )

    result = GeminiSpeechProvider().synthesize(line())

    assert waits == [7.0]
    assert len(gemini.requests) == 2
    assert result.duration_seconds > 0


def test_it_gives_up_on_a_persistent_server_error_after_every_try(gemini, settings, waits):
    gemini.reply("generate", *[gemini_server.error(503, "The model is overloaded.")] * 5)
    provider = GeminiSpeechProvider()

    with pytest.raises(ProviderError) as raised:
        provider.synthesize(line())

    assert raised.value.retryable and raised.value.reason == "server_error"
    assert len(gemini.requests) == 1 + settings.MAX_RETRIES
    assert len(waits) == settings.MAX_RETRIES
    assert provider.calls[0].attempts == 3 and "503" in provider.calls[0].error


def test_it_does_not_retry_a_line_gemini_refuses(gemini, waits):
    gemini.reply("generate", blocked_answer("PROHIBITED_CONTENT", "The text breaks the policy."))
    provider = GeminiSpeechProvider()

    with pytest.raises(ProviderError) as raised:
        provider.synthesize(line())

    assert not raised.value.retryable
    assert raised.value.reason == "safety"
    assert "PROHIBITED_CONTENT" in str(raised.value)
    assert len(gemini.requests) == 1 and waits == []


def test_it_does_not_retry_audio_withheld_for_safety(gemini, waits):
    gemini.reply("generate", no_image_answer("SAFETY"))

    with pytest.raises(ProviderError) as raised:
        GeminiSpeechProvider().synthesize(line())

    assert (raised.value.retryable, raised.value.reason) == (False, "safety")
    assert len(gemini.requests) == 1 and waits == []


def test_it_asks_again_when_the_model_answered_in_text_instead_of_audio(gemini, waits):
    gemini.reply("generate", no_image_answer("STOP", text="Here is the line you asked for."))
    provider = GeminiSpeechProvider()

    result = provider.synthesize(line())

    assert len(gemini.requests) == 2 and len(waits) == 1
    assert result.duration_seconds > 0
    # The text answer was billed too.
    assert provider.calls[0].usage.input_tokens == 25 + 12


def test_it_names_an_unknown_tts_model_and_does_not_retry(gemini, settings, waits):
    settings.GEMINI_TTS_MODEL = "gemini-9-tts"

    with pytest.raises(ProviderError) as raised:
        GeminiSpeechProvider().synthesize(line())

    assert raised.value.reason == "model_unavailable"
    assert "gemini-9-tts" in str(raised.value)
    assert waits == []


def test_it_refuses_audio_that_is_not_raw_pcm(gemini):
    gemini.reply("generate", speech_answer(b"ID3\x04fake-mp3" * 10, mime_type="audio/mpeg"))

    with pytest.raises(ProviderError) as raised:
        GeminiSpeechProvider().synthesize(line())

    assert (raised.value.retryable, raised.value.reason) == (False, "malformed_answer")
    assert "audio/mpeg" in str(raised.value)


# ================================================================ OpenAI /v1/audio/speech
@pytest.fixture
def speech(settings):
    with FakeOpenAI() as server:
        settings.TTS_BASE_URL = server.base_url
        settings.TTS_API_KEY = "sk-tts"
        settings.TTS_MODEL = "gpt-4o-mini-tts"
        yield server


def test_it_sends_the_line_the_voice_and_the_delivery_and_returns_the_wav(speech, tmp_path):
    speech.reply("POST", SPEECH_PATH, openai_server.speech_answer(1.75))

    result = OpenAISpeechProvider().synthesize(line(instructions="tense, under her breath"))

    [sent] = speech.requests
    assert sent.headers["authorization"] == "Bearer sk-tts"
    assert sent.json == {
        "model": "gpt-4o-mini-tts",
        "voice": "coral",
        "input": LINE,
        "instructions": "tense, under her breath",
        "response_format": "wav",
    }
    assert (result.content_type, result.model, result.voice) == (
        "audio/wav",
        "gpt-4o-mini-tts",
        "coral",
    )
    assert wav_info(result.data) == (1, 2, 24000, 42000)
    assert result.duration_seconds == pytest.approx(1.75)
    assert ffmpeg_seconds(result.data, tmp_path) == pytest.approx(1.75, abs=0.05)


def test_it_gives_distinct_characters_distinct_openai_voices(speech):
    voices = [KORE, CHARON, LEDA, PUCK]
    speech.reply("POST", SPEECH_PATH, openai_server.speech_answer(0.2), times=len(voices))
    provider = OpenAISpeechProvider()

    spoken = [provider.synthesize(line(voice)).voice for voice in voices]

    sent = [r.json["voice"] for r in speech.requests]
    assert sent == spoken
    assert len(set(sent)) == 4


def test_it_maps_as_many_catalogue_voices_apart_as_each_gender_has_names():
    # The catalogue alternates women (even numbers) and men (odd numbers).
    women = [
        openai_voice(Voice("x", "female", "adult", n), "gpt-4o-mini-tts") for n in (0, 2, 4, 6, 8)
    ]
    men = [openai_voice(Voice("x", "male", "adult", n), "gpt-4o-mini-tts") for n in range(1, 15, 2)]
    in_a_row = [openai_voice(Voice("x", "male", "adult", n), "gpt-4o-mini-tts") for n in range(7)]
    old_men = {openai_voice(Voice("x", "male", "adult", n), "tts-1") for n in range(30)}

    assert len(set(women)) == 5 and set(women) <= {"coral", "nova", "shimmer", "sage", "alloy"}
    assert len(set(men)) == 7 and "coral" not in men
    assert len(set(in_a_row)) == 7
    # tts-1 and tts-1-hd have no ballad nor verse.
    assert old_men == {"ash", "echo", "onyx", "fable", "alloy"}


@pytest.mark.parametrize("model", ["tts-1", "tts-1-hd"])
def test_it_sends_no_delivery_to_models_that_cannot_take_it(speech, settings, model):
    settings.TTS_MODEL = model
    speech.reply("POST", SPEECH_PATH, openai_server.speech_answer(0.5))

    OpenAISpeechProvider().synthesize(line(instructions="whispered"))

    [sent] = speech.requests
    assert sent.json["model"] == model
    assert "instructions" not in sent.json


def test_it_measures_a_streamed_wav_by_its_bytes_and_mends_its_header(speech, tmp_path):
    streamed = wav_bytes(2.5, streamed=True)
    assert streamed[40:44] == b"\xff\xff\xff\xff"
    speech.reply("POST", SPEECH_PATH, Reply(body=streamed, content_type="audio/wav"))

    result = OpenAISpeechProvider().synthesize(line())

    assert result.duration_seconds == pytest.approx(2.5)
    assert wav_info(result.data) == (1, 2, 24000, 60000)
    assert result.data[44:] == streamed[44:]
    assert ffmpeg_seconds(result.data, tmp_path) == pytest.approx(2.5, abs=0.05)


def test_it_reads_a_wav_header_as_written():
    data = wav_bytes(0.75)

    assert read_wav(data) == (data, pytest.approx(0.75))
    with pytest.raises(ValueError):
        read_wav(b'{"error": "not audio"}')


@pytest.mark.parametrize(("headers", "wait"), [({"Retry-After": "2"}, 2.0),
                                               ({"retry-after-ms": "1500"}, 1.5)])  # fmt: skip
def test_it_waits_as_the_service_says_on_429_then_speaks(speech, waits, headers, wait):
    speech.reply(
        "POST",
        SPEECH_PATH,
        Reply(status=429, body=error_body("Rate limit reached", code="rate_limit_exceeded"),
              headers=headers),
        openai_server.speech_answer(0.5),
    )  # fmt: skip
    provider = OpenAISpeechProvider()

    provider.synthesize(line())

    assert waits == [wait]
    assert len(speech.requests_to("POST", SPEECH_PATH)) == 2
    assert provider.calls[0].attempts == 2


def test_it_gives_up_on_a_persistent_server_error_after_every_try_of_speech(
    speech, settings, waits
):
    speech.reply("POST", SPEECH_PATH, Reply(status=500, body=error_body("boom")), times=5)
    provider = OpenAISpeechProvider()

    with pytest.raises(ProviderError) as raised:
        provider.synthesize(line())

    assert raised.value.retryable and raised.value.reason == "server_error"
    assert len(speech.requests) == 1 + settings.MAX_RETRIES
    assert provider.calls[0].cost_usd is None  # nothing spoken, nothing billed


def test_it_does_not_retry_a_refused_line(speech, waits):
    speech.reply(
        "POST",
        SPEECH_PATH,
        Reply(status=400, body=error_body("The input was flagged by our safety system.")),
    )

    with pytest.raises(ProviderError) as raised:
        OpenAISpeechProvider().synthesize(line())

    assert (raised.value.retryable, raised.value.reason) == (False, "safety")
    assert len(speech.requests) == 1 and waits == []


def test_it_names_a_speech_model_the_server_does_not_have(speech):
    speech.reply(
        "POST",
        SPEECH_PATH,
        Reply(status=404, body=error_body("The model does not exist", code="model_not_found")),
    )

    with pytest.raises(ProviderError) as raised:
        OpenAISpeechProvider().synthesize(line())

    assert raised.value.reason == "model_unavailable"
    assert "TTS_MODEL" in str(raised.value)


def test_it_refuses_an_answer_that_is_not_a_wav(speech, waits):
    speech.reply(
        "POST", SPEECH_PATH, Reply(body=b"ID3\x04" + b"\x00" * 64, content_type="audio/mpeg")
    )

    with pytest.raises(ProviderError) as raised:
        OpenAISpeechProvider().synthesize(line())

    assert (raised.value.retryable, raised.value.reason) == (False, "malformed_answer")
    assert "audio/mpeg" in str(raised.value)
    assert waits == []


@pytest.mark.parametrize(
    ("model", "cost"),
    [
        ("gpt-4o-mini-tts", 2.0 * 0.015 / 60),  # by the second of audio
        ("tts-1", len(LINE) * 15 / 1e6),  # by the character
        ("tts-1-hd", len(LINE) * 30 / 1e6),
    ],
)
def test_it_prices_a_line_as_each_model_is_billed(speech, settings, model, cost):
    settings.TTS_MODEL = model
    speech.reply("POST", SPEECH_PATH, openai_server.speech_answer(2.0))
    provider = OpenAISpeechProvider()

    provider.synthesize(line())

    [call] = provider.calls
    assert (call.provider, call.model, call.operation) == ("openai", model, "speech")
    assert call.usage.characters == len(LINE)
    assert call.usage.audio_seconds == pytest.approx(2.0)
    assert call.cost_usd == pytest.approx(cost, abs=1e-6)


def test_it_speaks_through_a_self_hosted_server_that_needs_no_key(speech, settings):
    settings.TTS_API_KEY = ""
    settings.TTS_MODEL = "kokoro"
    speech.reply("POST", SPEECH_PATH, openai_server.speech_answer(0.5))
    provider = OpenAISpeechProvider()

    result = provider.synthesize(line(instructions="softly"))

    assert result.duration_seconds == pytest.approx(0.5)
    assert speech.requests[0].json["instructions"] == "softly"
    assert provider.calls[0].cost_usd is None  # a model with no price is not guessed


# ================================================================ espeak-ng
def test_it_gives_every_catalogue_number_its_own_espeak_voice():
    for gender, variants in (("female", FEMALE_VARIANTS), ("male", MALE_VARIANTS)):
        for age in ("young", "adult", "older"):
            chosen = [espeak_voice(Voice("x", gender, age, n)) for n in range(30)]
            assert len(set(chosen)) == 30, (gender, age)
            assert {c.variant for c in chosen} == set(variants)
            assert all(0 <= c.pitch <= 99 and 80 <= c.speed <= 450 for c in chosen)
    young = espeak_voice(Voice("x", "female", "young", 3))
    older = espeak_voice(Voice("x", "female", "older", 3))
    assert young.pitch > older.pitch and young.speed > older.speed
    # Kore, the first of its lap, sits below the lap's base; Aoede, the fifth, above it.
    assert espeak_voice(Voice("Kore", "female", "adult", 0)) == EspeakVoice("f1", 54, 157)
    assert espeak_voice(Voice("Aoede", "female", "adult", 4)) == EspeakVoice("f5", 66, 173)


def test_it_speaks_a_line_with_espeak_as_a_real_wav(tmp_path):
    provider = LocalSpeechProvider()

    result = provider.synthesize(line(KORE))

    channels, width, rate, frames = wav_info(result.data)
    assert (channels, width) == (1, 2)
    assert result.duration_seconds == pytest.approx(frames / rate)
    assert 1.5 < result.duration_seconds < 8  # eight words at about 165 a minute
    assert ffmpeg_seconds(result.data, tmp_path) == pytest.approx(result.duration_seconds, abs=0.05)
    assert result.voice == "en-us+f1 -p 54 -s 157"
    assert result.metadata | {"variant": "f1", "pitch": 54, "speed": 157} == result.metadata
    [call] = provider.calls
    assert (call.provider, call.model, call.cost_usd) == ("local", "espeak-ng", 0.0)
    assert call.usage.characters == len(LINE)


def test_it_speaks_the_same_line_the_same_way_and_other_voices_otherwise():
    provider = LocalSpeechProvider()

    first, again = provider.synthesize(line(KORE)), provider.synthesize(line(KORE))
    other = provider.synthesize(line(CHARON))

    assert first.data == again.data
    assert other.data != first.data
    assert other.voice.startswith("en-us+m")


def test_it_passes_the_text_as_words_never_to_a_shell_nor_as_options(tmp_path):
    marker = tmp_path / "touched"
    text = f"--version $(touch {marker}) `touch {marker}`; -w {marker}"

    result = LocalSpeechProvider().synthesize(line(text=text))

    assert result.duration_seconds > 1
    assert not marker.exists()


def test_it_says_how_to_install_espeak_when_it_is_missing(monkeypatch):
    monkeypatch.setattr("generation.providers.local.speech.shutil.which", lambda name: None)

    with pytest.raises(ProviderError) as raised:
        LocalSpeechProvider().synthesize(line())

    assert not raised.value.retryable
    assert "install espeak-ng" in str(raised.value) and "make setup" in str(raised.value)


# ================================================================ configuration
@pytest.mark.parametrize(
    ("name", "cls", "model"),
    [
        ("local", LocalSpeechProvider, "espeak-ng"),
        ("gemini", GeminiSpeechProvider, "gemini-3.8-flash-lite-tts"),
        ("openai", OpenAISpeechProvider, "gpt-4o-mini-tts"),
    ],
)
def test_it_makes_the_configured_speech_provider(settings, name, cls, model):
    settings.SPEECH_PROVIDER = name
    settings.GEMINI_TTS_MODEL, settings.TTS_MODEL = "gemini-3.8-flash-lite-tts", "gpt-4o-mini-tts"

    assert isinstance(registry.speech_provider(), cls)
    assert registry.configured_models()["speech"] == (name, model)


def test_it_shows_the_speech_provider_and_its_prices_in_the_configuration(settings):
    from generation.management.commands.show_config import configuration_text

    settings.SPEECH_PROVIDER, settings.TTS_MODEL = "openai", "tts-1"
    settings.PRICES_JSON = json.dumps({})

    text = configuration_text()

    assert "speech provider" in text
    assert "openai — tts-1 (per million characters $15.0)" in text


@pytest.mark.parametrize(
    ("variables", "shown"),
    [
        ({}, "local — espeak-ng (free)"),
        ({"GEMINI_API_KEY": "AIzaSyGeminiKey-1234567890abcdefghijkl"},
         "gemini — gemini-3.8-flash-lite-tts (input per million $0.5, output per million $4.0)"),
        ({"TTS_API_KEY": "sk-tts-0123456789abcdef"},
         "openai — gpt-4o-mini-tts (per audio second $0.00025)"),
        ({"TTS_BASE_URL": "http://127.0.0.1:8880/v1", "TTS_MODEL": "kokoro"},
         "openai — kokoro (no price (not estimated))"),
    ],
)  # fmt: skip
def test_it_picks_the_speech_provider_from_the_keys_that_are_set(tmp_path, variables, shown):
    result = manage(tmp_path, "show_config", **variables)

    assert result.returncode == 0, result.stderr
    [row] = [r for r in result.stdout.splitlines() if r.startswith("speech provider")]
    assert row.split(None, 2)[2] == shown


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SPEECH_PROVIDER": "gemini"}, "SPEECH_PROVIDER=gemini needs GEMINI_API_KEY."),
        (
            {"SPEECH_PROVIDER": "openai"},
            "SPEECH_PROVIDER=openai needs TTS_API_KEY (or TTS_BASE_URL",
        ),
        ({"SPEECH_PROVIDER": "espeak"}, "SPEECH_PROVIDER must be one of local, gemini, openai"),
        ({"TTS_BASE_URL": "speech-server"}, "TTS_BASE_URL"),
    ],
)
def test_it_refuses_to_start_with_a_speech_provider_it_cannot_use(tmp_path, variables, message):
    result = manage(tmp_path, "show_config", **variables)

    assert result.returncode != 0
    assert message in error_of(result)
