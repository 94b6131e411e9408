"""The cast's voices: a catalogue of thirty, and the choice of one per character.

A character's voice is chosen once, when the character is first written, from what the script
says of them (gender, age, role), and kept on the row: the whole drama hears the same voice,
whatever is rewritten later, until somebody picks another one in the API or the admin.

The catalogue's names are Gemini's prebuilt voice names; the speech providers map a voice to
one of their own from its gender, age and place in the catalogue (its number).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class VoiceSpec:
    name: str
    gender: str  # "female" or "male"
    age: str  # "young", "adult" or "older"
    quality: str  # how it sounds, as its service describes it
    number: int = 0


_CATALOGUE = [
    ("Kore", "female", "adult", "firm"),
    ("Charon", "male", "older", "informative"),
    ("Leda", "female", "young", "youthful"),
    ("Puck", "male", "young", "upbeat"),
    ("Aoede", "female", "adult", "breezy"),
    ("Orus", "male", "adult", "firm"),
    ("Gacrux", "female", "older", "mature"),
    ("Algenib", "male", "older", "gravelly"),
    ("Zephyr", "female", "young", "bright"),
    ("Fenrir", "male", "young", "excitable"),
    ("Despina", "female", "adult", "smooth"),
    ("Iapetus", "male", "adult", "clear"),
    ("Vindemiatrix", "female", "older", "gentle"),
    ("Sadaltager", "male", "older", "knowledgeable"),
    ("Pulcherrima", "female", "adult", "forward"),
    ("Alnilam", "male", "adult", "firm"),
    ("Laomedeia", "female", "young", "upbeat"),
    ("Sadachbia", "male", "young", "lively"),
    ("Sulafat", "female", "adult", "warm"),
    ("Achird", "male", "adult", "friendly"),
    ("Erinome", "female", "adult", "clear"),
    ("Schedar", "male", "older", "even"),
    ("Autonoe", "female", "young", "bright"),
    ("Umbriel", "male", "adult", "easy-going"),
    ("Achernar", "female", "adult", "soft"),
    ("Algieba", "male", "adult", "smooth"),
    ("Callirrhoe", "female", "adult", "easy-going"),
    ("Enceladus", "male", "adult", "breathy"),
    ("Rasalgethi", "male", "older", "informative"),
    ("Zubenelgenubi", "male", "adult", "casual"),
]
VOICES: tuple[VoiceSpec, ...] = tuple(
    VoiceSpec(name, gender, age, quality, number)
    for number, (name, gender, age, quality) in enumerate(_CATALOGUE)
)
BY_NAME = {v.name.lower(): v for v in VOICES}
NAMES = tuple(v.name for v in VOICES)
CHOICES = [(v.name, f"{v.name} ({v.gender}, {v.age}, {v.quality})") for v in VOICES]

# Roles that sound best in a harder or a warmer voice.
HARD_ROLES = {"antagonist", "villain", "rival", "nemesis", "boss", "detective", "inspector"}
HARD_QUALITIES = {"firm", "gravelly", "forward", "even", "clear"}
WARM_QUALITIES = {"warm", "soft", "gentle", "friendly", "smooth", "breezy", "youthful"}

FEMALE_WORDS = {
    "she", "her", "hers", "herself", "woman", "women", "girl", "lady", "mother", "mom", "mum",
    "daughter", "sister", "wife", "bride", "girlfriend", "fiancee", "aunt", "niece",
    "grandmother", "grandma", "godmother", "stepmother", "queen", "princess", "duchess",
    "actress", "waitress", "heiress", "widow", "matriarch", "mrs", "ms", "miss", "madam",
    "nun", "witch",
}  # fmt: skip
MALE_WORDS = {
    "he", "him", "his", "himself", "man", "men", "boy", "gentleman", "father", "dad", "son",
    "brother", "husband", "groom", "boyfriend", "fiance", "uncle", "nephew", "grandfather",
    "grandpa", "godfather", "stepfather", "king", "prince", "duke", "actor", "waiter", "heir",
    "widower", "patriarch", "mr", "sir", "monk", "priest", "lord",
}  # fmt: skip
PRONOUNS = {"she", "her", "hers", "herself", "he", "him", "his", "himself"}
# First names that say a gender when the words do not (a short, common list).
FEMALE_NAMES = {
    "ava", "mira", "sana", "iris", "nadia", "yuna", "clara", "elena", "noor", "ines", "zara",
    "lena", "maya", "rosa", "aiko", "priya", "hana", "freya", "emma", "olivia", "sofia",
    "anna", "maria", "tessa", "vera", "julia", "lucia", "chloe", "grace", "lily", "mei",
    "amara", "leila",
}  # fmt: skip
MALE_NAMES = {
    "leo", "jonah", "theo", "mateo", "felix", "omar", "ravi", "kai", "lucas", "hugo", "elias",
    "arjun", "kenji", "marco", "ethan", "noah", "liam", "james", "daniel", "samuel", "adam",
    "victor", "viktor", "reza", "oscar", "david", "ivan", "tomas", "rafael", "jin", "amir", "luca",
}  # fmt: skip
YOUNG_WORDS = {"young", "teen", "teenage", "teenager", "kid", "child", "student", "boy", "girl",
               "youngest", "junior", "intern", "rookie", "apprentice"}  # fmt: skip
OLDER_WORDS = {"old", "elderly", "aging", "ageing", "aged", "grandmother", "grandfather",
               "grandma", "grandpa", "retired", "veteran", "widow", "widower", "matriarch",
               "patriarch", "elder"}  # fmt: skip
AGE = re.compile(r"\b(\d{1,3})[- ]years?[- ]old\b|\bin (?:her|his|their) (\w+ies)\b")
DECADES = {"teens": 15, "twenties": 25, "thirties": 35, "forties": 45, "fifties": 55,
           "sixties": 65, "seventies": 75, "eighties": 85, "nineties": 95}  # fmt: skip
WORD = re.compile(r"[a-z]+")


def voice_named(name: str) -> VoiceSpec | None:
    return BY_NAME.get((name or "").strip().lower())


def gender_of(*, name: str, role: str, description: str, appearance: str) -> str | None:
    """ "female", "male", or None when the script does not say."""
    words = WORD.findall(" ".join((role, description, appearance)).lower())
    # A noun says who the character is ("her estranged father" is a father); a pronoun may
    # be somebody else's, so it counts for less.
    female = sum((1 if w in PRONOUNS else 2) for w in words if w in FEMALE_WORDS)
    male = sum((1 if w in PRONOUNS else 2) for w in words if w in MALE_WORDS)
    if female != male:
        return "female" if female > male else "male"
    first = (WORD.findall(name.lower()) or [""])[0]
    if first in FEMALE_NAMES:
        return "female"
    if first in MALE_NAMES:
        return "male"
    return None


def age_of(*, role: str, description: str, appearance: str) -> str:
    text = " ".join((role, description, appearance)).lower()
    if match := AGE.search(text):
        years = int(match[1]) if match[1] else DECADES.get(match[2], 40)
        return "young" if years < 26 else "older" if years >= 58 else "adult"
    words = set(WORD.findall(text))
    if words & OLDER_WORDS:
        return "older"
    if words & YOUNG_WORDS:
        return "young"
    return "adult"


def _fit(voice: VoiceSpec, gender: str | None, age: str, role: str) -> int:
    score = 0
    if gender is not None:
        score += 10 if voice.gender == gender else -10
    score += 4 if voice.age == age else (-4 if {voice.age, age} == {"young", "older"} else 0)
    hard = bool(set(WORD.findall(role.lower())) & HARD_ROLES)
    if hard and voice.quality in HARD_QUALITIES:
        score += 2
    if not hard and voice.quality in WARM_QUALITIES:
        score += 1
    return score


def choose_voice(*, name: str, role: str = "", description: str = "", appearance: str = "",
                 taken: Iterable[str] = ()) -> str:  # fmt: skip
    """The catalogue voice that fits the character best among those the drama has not given to
    anyone yet (all of them once every voice is taken). The same character and the same taken
    voices always give the same choice."""
    gender = gender_of(name=name, role=role, description=description, appearance=appearance)
    age = age_of(role=role, description=description, appearance=appearance)
    used = {t.lower() for t in taken}
    free = [v for v in VOICES if v.name.lower() not in used] or list(VOICES)
    best = max(free, key=lambda v: (_fit(v, gender, age, role), -v.number))
    return best.name


def cast_voices(characters: list[dict], taken: Iterable[str] = ()) -> list[str]:
    """A voice for each character (a dict of name, role, description, appearance and maybe
    `voice`), in order: a valid voice already given is kept, the rest are chosen."""
    used = [t for t in taken if voice_named(t)]
    chosen = []
    for c in characters:
        given = voice_named(c.get("voice") or "")
        name = given.name if given else choose_voice(
            name=c.get("name", ""), role=c.get("role", ""),
            description=c.get("description", ""), appearance=c.get("appearance", ""),
            taken=used,
        )  # fmt: skip
        used.append(name)
        chosen.append(name)
    return chosen
