"""Reading a one-line premise without a model: its genre, the people and places it names, how
the people are related, and what the fight is about.

A few rules over word lists (`words`), not understanding: what they miss, the writer invents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generation.providers.local import words as w

TOKEN = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]*|[,.;:!?]")
DETERMINERS = {"a", "an", "the", "her", "his", "their", "my", "our", "your", "its", "two",
               "three", "four", "both"}  # fmt: skip
# Modifiers kept out of a place's or a stake's name ("the same restaurant" is the restaurant).
DROPPED = {"same", "very", "only", "own", "new"}
PRONOUNS = {"she": "female", "her": "female", "herself": "female", "he": "male",
            "him": "male", "his": "male", "himself": "male"}  # fmt: skip


@dataclass
class Token:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower().replace("’", "'").removesuffix("'s")

    @property
    def capital(self) -> bool:
        return self.text[:1].isupper()

    @property
    def possessive(self) -> bool:
        return self.text.lower().replace("’", "'").endswith("'s")


@dataclass
class Mention:
    """A person (or a group of them) the premise names or describes."""

    start: int
    end: int
    text: str
    name: str = ""  # as the premise gives it, when it does
    noun: str = ""  # what they are: nurse, sister, rival
    modifiers: list[str] = field(default_factory=list)
    count: int = 1
    gender: str = ""


@dataclass
class Place:
    name: str  # "lighthouse", "Lisbon"
    at: str  # "at the lighthouse", "in Lisbon"
    proper: bool


@dataclass
class Reading:
    premise: str
    genre: str  # a key of words.GENRES
    mentions: list[Mention]
    places: list[Place]
    stake: str  # a noun phrase used as an object: "the restaurant", "the love letters"


def tokens(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]


def genre_of(text: str) -> str:
    """The palette whose words the text uses most; ties go to the more particular genre."""
    found = [t.low for t in tokens(text)]
    found += [f.removesuffix("s") for f in found]
    scores = {
        key: w.GENRE_WEIGHTS.get(key, 1) * sum(word in w.GENRES[key]["keywords"] for word in found)
        for key in w.GENRE_ORDER
    }
    best = max(scores.values())
    if not best:
        return w.DEFAULT_GENRE
    return next(key for key in w.GENRE_ORDER if scores[key] == best)


def palette_key(genre: str) -> str | None:
    """The palette a requested genre names, if any."""
    low = " ".join(genre.lower().split())
    if low in w.GENRES:
        return low
    return w.GENRE_ALIASES.get(low)


def _noun(token: Token) -> str:
    """The person noun a token is, singular, or ''."""
    low = token.low
    if low in w.PLURALS:
        return w.PLURALS[low]
    return low if low in w.PERSON_NOUNS else ""


def _shown(token: Token) -> str:
    return token.text if token.text.isupper() and len(token.text) > 1 else token.low


def _name_run(toks: list[Token], i: int) -> int:
    """How many capitalised tokens from i on form a name."""
    n = 0
    while i + n < len(toks) and toks[i + n].capital and toks[i + n].low not in w.NOT_NAMES:
        n += 1
        if toks[i + n - 1].possessive:
            break
    return n


def _starts_sentence(toks: list[Token], i: int) -> bool:
    return i == 0 or toks[i - 1].text in ".!?;:"


def read(premise: str, *, genre_hint: str = "") -> Reading:
    toks = tokens(premise)
    mentions: list[Mention] = []
    places: list[Place] = []
    used: set[int] = set()

    def keyword(low: str) -> bool:
        return any(low in p["keywords"] for p in w.GENRES.values())

    i = 0
    while i < len(toks):
        tok = toks[i]
        prev = toks[i - 1].low if i else ""
        before = toks[i - 2].low if i > 1 else ""
        # A capitalised place: "in Lisbon", "aboard the Odyssey".
        if (
            tok.capital
            and tok.low not in w.NOT_NAMES
            and (prev in w.PLACE_PREPOSITIONS or (prev == "the" and before in w.PLACE_PREPOSITIONS))
        ):
            n = _name_run(toks, i)
            if n:
                name = " ".join(t.text.removesuffix("'s") for t in toks[i : i + n])
                prep = before if prev == "the" else prev
                prep = {"to": "at", "into": "in"}.get(prep, prep)
                shown = f"the {name}" if prev == "the" else name
                places.append(Place(name=shown, at=f"{prep} {shown}", proper=True))
                used.update(range(i, i + n))
                i += n
                continue
        # A name: "Mara", "Detective Ana Ruiz", "Mara's boss".
        if tok.capital and tok.low not in w.NOT_NAMES and i not in used:
            n = _name_run(toks, i)
            run = toks[i : i + n]
            title = ""
            if len(run) > 1 and run[0].low in w.TITLES:
                title, run = run[0].low, run[1:]
            first_word = _starts_sentence(toks, i) and not title
            following = toks[i + n] if i + n < len(toks) else None
            looks_named = (
                len(run) > 1
                or run[-1].possessive
                or (following is not None and (following.text == "," or following.low == "and"))
                or (following is not None and following.text[:1].islower()
                    and following.low.endswith("s"))
            )  # fmt: skip
            lows = {t.low for t in run}
            common = lows & (w.PERSON_NOUNS | w.PLACE_NOUNS | set(w.PLURALS)) or any(
                keyword(low) for low in lows
            )
            if run and not common and (not first_word or looks_named):
                name = " ".join(t.text.replace("’", "'").removesuffix("'s") for t in run)
                mention = Mention(start=tok.start, end=run[-1].end, text=premise[tok.start :
                                  run[-1].end], name=name, noun=title)  # fmt: skip
                # "Mara, a nurse," tells what Mara is.
                j = i + n
                if (
                    j + 2 < len(toks)
                    and toks[j].text == ","
                    and toks[j + 1].low in {"a", "an", "the"}
                ):
                    k = j + 2
                    while (
                        k < len(toks)
                        and not _noun(toks[k])
                        and toks[k].text.isalpha()
                        and (k - j < 4)
                    ):
                        k += 1
                    if k < len(toks) and _noun(toks[k]):
                        mention.noun = _noun(toks[k])
                        used.update(range(j, k + 1))
                mentions.append(mention)
                used.update(range(i, i + n))
                i += n
                continue
        # A described person: "a nurse", "her estranged sister Ines", "two rival chefs".
        noun = _noun(tok)
        following = toks[i + 1] if i + 1 < len(toks) else None
        head = (
            noun
            and i not in used
            and (
                tok.possessive
                or not (
                    following
                    and (
                        _noun(following)
                        or (following.low in w.PLACE_NOUNS and not following.possessive)
                    )
                )
            )
        )
        if (
            head
            and not tok.capital
            or (head and tok.text.isupper())
            or (head and _starts_sentence(toks, i))
        ):
            start = i
            modifiers: list[str] = []
            while start > 0 and start - i < 3:
                back = toks[start - 1]
                if back.text in ",.;:!?" or back.low in w.PLACE_PREPOSITIONS or (start - 1) in used:
                    break
                start -= 1
                if back.low in DETERMINERS:
                    break
                modifiers.insert(0, back.low)
            det = toks[start].low if toks[start].low in DETERMINERS else ""
            if not det and modifiers and start != i:
                # No determiner: keep only the noun ("rival chefs" without "two" is fine too).
                start = i - len(modifiers)
            count = w.NUMBERS.get(det, 1)
            if tok.low in w.PLURALS and count == 1:
                count = 2
            if "twin" in modifiers or noun == "twin" and count == 1 and tok.low == "twins":
                count = max(count, 2)
            end = tok.end
            name = ""
            if (
                following
                and following.capital
                and following.low not in w.NOT_NAMES
                and (following.low not in w.PERSON_NOUNS)
            ):
                n = _name_run(toks, i + 1)
                if n:
                    name = " ".join(t.text.removesuffix("'s") for t in toks[i + 1 : i + 1 + n])
                    end = toks[i + n].end
                    used.update(range(i + 1, i + 1 + n))
            mentions.append(
                Mention(
                    start=toks[start].start,
                    end=end,
                    text=premise[toks[start].start : end],
                    name=name,
                    noun=noun,
                    modifiers=modifiers,
                    count=1 if name else min(count, 4),
                )  # fmt: skip
            )
            used.update(range(start, i + 1))
            i += 1
            continue
        # A place without a capital: "at the old lighthouse", "the same restaurant".
        if tok.low in w.PLACE_NOUNS and i not in used and not (following and (
            following.low in w.PLACE_NOUNS or _noun(following))):  # fmt: skip
            start, mods = i, []
            while start > 0 and i - start < 3:
                back = toks[start - 1]
                if (
                    back.low in DETERMINERS
                    or back.low in w.PLACE_PREPOSITIONS
                    or not (back.text.isalpha() and back.text.islower())
                    or (start - 1) in used
                ):
                    break
                start -= 1
                mods.insert(0, back.low)
            det = toks[start - 1].low if start > 0 else ""
            prep = toks[start - 2].low if start > 1 and det in DETERMINERS else det
            if det in DETERMINERS or det in w.PLACE_PREPOSITIONS:
                name = " ".join([m for m in mods if m not in DROPPED] + [tok.low])
                wide = tok.low in w.WIDE_PLACES
                prep = prep if prep in w.PLACE_PREPOSITIONS else "in" if wide else "at"
                prep = {"to": "at", "into": "in"}.get(prep, prep)
                if all(p.name != name for p in places):
                    places.append(Place(name=name, at=f"{prep} the {name}", proper=False))
        i += 1

    _genders(toks, mentions)
    genre = genre_of(f"{premise} {genre_hint}")
    return Reading(premise=premise, genre=genre, mentions=mentions, places=places,
                   stake=_stake(toks, mentions, places, genre))  # fmt: skip


def _genders(toks: list[Token], mentions: list[Mention]) -> None:
    for mention in mentions:
        if mention.noun in w.FEMALE_NOUNS:
            mention.gender = "female"
        elif mention.noun in w.MALE_NOUNS:
            mention.gender = "male"
    # The first pronoun after the lead speaks of the lead, most of the time.
    if mentions and not mentions[0].gender and mentions[0].count == 1:
        for tok in toks:
            if tok.start >= mentions[0].end and tok.low in PRONOUNS:
                mentions[0].gender = PRONOUNS[tok.low]
                break


def _stake(toks: list[Token], mentions: list[Mention], places: list[Place], genre: str) -> str:
    """What the fight is about, as an object noun phrase."""
    spans = [(m.start, m.end) for m in mentions]
    for i, tok in enumerate(toks):
        if tok.low in w.STAKE_NOUNS and not any(a <= tok.start < b for a, b in spans):
            if i + 1 < len(toks) and (toks[i + 1].low in w.STAKE_NOUNS or _noun(toks[i + 1])):
                continue  # a modifier of the next word ("the wedding planner")
            words = [tok.low]
            if i and toks[i - 1].low in w.STAKE_MODIFIERS:
                words.insert(0, toks[i - 1].low)
            return "the " + " ".join(words)
    common = [p for p in places if not p.proper]
    if common:
        return f"the {common[0].name}"
    return w.GENRES[genre]["stake"]
