"""The cast's voices through the API: chosen once from each character, distinct within a drama,
stable across rewrites, editable, and refused with a reason when not in the catalogue."""

from __future__ import annotations

import pytest

from dramas.models import Character
from dramas.voices import NAMES, VOICES, age_of, cast_voices, choose_voice, gender_of, voice_named
from tests.conftest import assert_error, drama_body

pytestmark = pytest.mark.django_db


def cast_body() -> dict:
    body = drama_body(episodes=1, scenes=1, characters=4)
    body["characters"] = [
        {"id": "char_001", "name": "Mara Quill", "role": "protagonist",
         "description": "A young nurse. She hides a secret.", "appearance": "22 years old"},
        {"id": "char_002", "name": "Tobias Quill", "role": "antagonist",
         "description": "Her estranged father, a retired judge.", "appearance": "70 years old"},
        {"id": "char_003", "name": "Ines Ortega", "role": "ally",
         "description": "Mara's sister.", "appearance": "a woman in her forties"},
        {"id": "char_004", "name": "Dev", "role": "rival", "description": "A surgeon.",
         "appearance": "sharp suit", "voice": "charon"},
    ]  # fmt: skip
    return body


def test_each_character_gets_a_voice_that_fits_and_no_two_share_one(api):
    created = api.post("/dramas", cast_body(), format="json")
    assert created.status_code == 201, created.content
    voices = {c["id"]: c["voice"] for c in created.json()["characters"]}

    assert len(set(voices.values())) == 4
    assert all(v in NAMES for v in voices.values())
    mara, tobias, ines = (voice_named(voices[k]) for k in ("char_001", "char_002", "char_003"))
    assert (mara.gender, mara.age) == ("female", "young")
    assert (tobias.gender, tobias.age) == ("male", "older")
    assert (ines.gender, ines.age) == ("female", "adult")
    # A voice the client names is kept (in the catalogue's spelling).
    assert voices["char_004"] == "Charon"


def test_a_voice_stays_through_rewrites_until_it_is_changed(api):
    drama = api.post("/dramas", cast_body(), format="json").json()
    base = f"/dramas/{drama['id']}/characters"
    before = api.get(f"{base}/char_001").json()["voice"]

    # Rewriting the character's description keeps the voice: it was chosen once.
    api.patch(f"{base}/char_001", {"description": "An old man now."}, format="json")
    assert api.get(f"{base}/char_001").json()["voice"] == before

    changed = api.patch(f"{base}/char_001", {"voice": "Zephyr"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["voice"] == "Zephyr"
    assert Character.objects.get(key="char_001").voice == "Zephyr"


def test_a_voice_outside_the_catalogue_is_refused_and_nothing_changes(api):
    drama = api.post("/dramas", cast_body(), format="json").json()
    base = f"/dramas/{drama['id']}/characters"
    before = api.get(f"{base}/char_002").json()

    for bad in ("Nobody", "", 7, None, "x" * 41):
        error = assert_error(api.patch(f"{base}/char_002", {"voice": bad}, format="json"), 400)
        assert any("voice" in key for key in error["details"]), error
    assert api.get(f"{base}/char_002").json() == before

    body = cast_body()
    body["characters"][0]["voice"] = "Robot"
    error = assert_error(api.post("/dramas", body, format="json"), 400, "characters")
    assert "Kore" in str(error["details"])


def test_the_choice_reads_gender_age_and_role_and_is_the_same_every_time():
    assert gender_of(name="Sam", role="", description="She keeps the light.", appearance="") == (
        "female"
    )
    assert gender_of(name="Sam", role="", description="Her estranged father.", appearance="") == (
        "male"
    )
    assert gender_of(name="Leo Hart", role="", description="", appearance="") == "male"
    assert gender_of(name="Sam", role="", description="", appearance="") is None
    assert age_of(role="", description="", appearance="19 years old") == "young"
    assert age_of(role="", description="in his sixties", appearance="") == "older"
    assert age_of(role="", description="a retired sailor", appearance="") == "older"
    villain = choose_voice(name="Rex", role="villain", description="He rules the docks.")
    assert voice_named(villain).quality in {"firm", "gravelly", "forward", "even", "clear"}
    people = [{"name": f"Person {n}", "description": "A man."} for n in range(40)]
    first = cast_voices(people)
    assert first == cast_voices(people)
    # Thirty voices: all used before any repeats.
    assert len(set(first[:30])) == 30
    assert len(VOICES) == 30 and len({v.number for v in VOICES}) == 30
