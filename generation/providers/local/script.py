"""The offline script writer: a deterministic drama shaped by its premise, with no network.

Same premise and options give the same drama, so demos and tests are repeatable. The premise is
read (`premise.read`) for its genre, its people and how they are related, its places and what
the fight is about; those make the cast, the scenes' locations, the title and the logline, and
each scene's dialogue carries its beat of the episode. It honours the requested size exactly,
and every scene has characters and dialogue that reference real characters. Critique comes
from checks of the script's structure, and improve rewrites the script to fix what those
checks find and to carry the feedback.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
import time
from collections import Counter

from django.conf import settings

from generation.providers.base import CallRecord, ScriptOptions
from generation.providers.local import words as w
from generation.providers.local.premise import Mention, Reading, palette_key, read

OFFLINE_LABEL = "offline preview by the local provider"
GENRES = w.GENRES
DEFAULT_GENRE = w.DEFAULT_GENRE
TIMES = w.TIMES
BEATS = ["setup", "complication", "confrontation", "twist", "resolution"]

# What each beat of an episode sounds like: the line that opens a scene, the answers, and
# the lines that press in between. {stake}, {thing}, {at} and {clause} come from the premise
# and the episode; the person spoken to is named around the line.
OPENERS = {
    "setup": [
        "We both want {stake}. Only one of us gets it.",
        "I came {at} for {stake}, not for you.",
        "You look like someone who knows what {stake} is worth.",
        "Tell me why you care so much about {stake}.",
        "Nobody else knows about {stake}. Keep it that way.",
        "I didn't expect to find you {at}.",
    ],
    "complication": [
        "So {clause}, and you kept it from me?",
        "Everything changed when I heard that {clause}.",
        "You heard it too. Now we both know that {clause}.",
        "If {clause}, then {stake} is already slipping away.",
        "I need to know who else has heard that {clause}.",
    ],
    "confrontation": [
        "You lied to me about {stake}.",
        "Look me in the eye and say {thing} was an accident.",
        "I'm not leaving until you tell me the truth about {thing}.",
        "You knew about {thing} all along, didn't you?",
        "How long have you been lying to me about {stake}?",
    ],
    "twist": [
        "Wait. I was wrong about {thing} from the start.",
        "It was you. You were behind {thing} all along.",
        "I found out who really wants {stake}.",
        "Everything we believed about {thing} was a lie.",
        "Someone planned {thing}, and it wasn't who we thought.",
    ],
    "resolution": [
        "It ends tonight, one way or another.",
        "If I let {stake} go, will you stay?",
        "I'm choosing {stake}, even if it costs me you.",
        "Whatever happens to {stake}, I'm not afraid of you anymore.",
        "After {thing}, I know exactly where I stand.",
    ],
}
ANSWERS = {
    "setup": [
        "Then we understand each other.",
        "I care about {stake} more than you think.",
        "You don't know the first thing about me.",
        "Careful. People get hurt over {stake}.",
        "I was here first, and I'm not leaving.",
        "Maybe we want the same thing after all.",
    ],
    "complication": [
        "I was going to tell you. I swear I was.",
        "I kept quiet to protect {stake}.",
        "You'd have done the same in my place.",
        "It's worse than that, and you know it.",
        "Who told you? Tell me who.",
    ],
    "confrontation": [
        "I did what I had to do for {stake}.",
        "You want the truth? You couldn't handle it.",
        "Keep your voice down. They're listening.",
        "You never asked, so I never told you.",
        "Don't pretend you're innocent in this.",
    ],
    "twist": [
        "Now you finally see it.",
        "I never meant for you to find out like this.",
        "Then we have a much bigger problem than {thing}.",
        "That changes everything between us.",
        "You weren't supposed to find that out {at}.",
    ],
    "resolution": [
        "Then go, before I change my mind.",
        "I'll be waiting when you come back.",
        "This isn't over, and you know it.",
        "Fine. But you owe me the truth about {thing}.",
        "Keep {stake}. I'm keeping my word.",
    ],
}
PRESSES = [
    "Don't walk away from me.",
    "Answer me. Just this once.",
    "Say it, then. Say it out loud.",
    "You always do this when it matters.",
    "Tell me one thing about {stake} that isn't a lie.",
    "I trusted you with {stake}.",
    "We can still fix this, if you let me.",
    "Then prove it, right here {at}.",
    "Think about what {thing} means for us.",
    "I won't lose {stake} because of you.",
]
# What a scene shows, by beat: {a} and {b} are the first two of its cast.
ACTIONS = {
    "setup": "{a} and {b} circle each other over {stake}",
    "complication": "{a} learns that {clause}, and {b} knew first",
    "confrontation": "{a} confronts {b} about {stake}",
    "twist": "{thing} turns {a} against {b}",
    "resolution": "{a} and {b} make a choice about {stake} that cannot be undone",
}
ACTIONS_ALONE = {
    "setup": "{a} takes stock of {stake}",
    "complication": "{a} learns that {clause}",
    "confrontation": "{a} faces the truth about {stake}",
    "twist": "{a} finds that {thing} changes everything",
    "resolution": "{a} makes a choice about {stake} that cannot be undone",
}
ROLE_LINES = {
    "protagonist": "{first} will risk everything for {stake}.",
    "antagonist": "{first} stands between {lead} and {stake}.",
    "love interest": "{first} could cost {lead} everything, or save {stake}.",
    "ally": "{first} stays loyal to {lead}, whatever it costs.",
    "confidant": "{first} knows more about {stake} than anyone admits.",
    "wildcard": "{first} plays every side of the fight for {stake}.",
}
CONFLICTS = {
    "horror": "{lead} must survive the night and save {stake} before {opp} claims it.",
    "fantasy": "{lead} must win {stake} before {opp} takes it by force.",
    "science fiction": "{lead} must save {stake} before {opp} decides who lives.",
    "crime": "{lead} must get to the bottom of {stake} before {opp} disappears for good.",
    "thriller": "{lead} must expose {stake} before {opp} buries it.",
    "revenge": "{lead} must take back {stake} before {opp} strikes first.",
    "workplace comedy": "{lead} must save {stake} before {opp} takes the credit.",
    "family drama": "{lead} must hold on to {stake} before {opp} tears it apart.",
    "romance": "{lead} must choose between {stake} and {opp} before it is too late.",
    "comedy": "{lead} must rescue {stake} before {opp} finds out everything.",
    "drama": "{lead} must fight for {stake} before {opp} makes the choice for everyone.",
}
CONFLICT_ALONE = "{lead} must fight for {stake} before it is too late."
# Words that stay small inside a title.
SMALL_WORDS = {"a", "an", "the", "of", "in", "at", "on", "and", "for", "to", "from", "by",
               "aboard", "near", "into", "or"}  # fmt: skip
PRONOUN_STARTS = ("I ", "I'", "I,")


def an(word: str) -> str:
    """`a` or `an`, by how the word sounds."""
    low = word.lower()
    if word[:2].isupper():  # an acronym is read letter by letter: an AI, a CEO
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    if low.startswith(("uni", "use", "usu", "eu", "one", "once", "ur")):
        return "a"
    if low.startswith(("hour", "honest", "honou", "heir")):
        return "an"
    return "an" if low[:1] in "aeiou" else "a"


def with_article(phrase: str) -> str:
    return f"{an(phrase)} {phrase}"


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def title_case(text: str) -> str:
    out = []
    for n, word in enumerate(text.split()):
        if n and word.lower() in SMALL_WORDS:
            out.append(word.lower())
        elif word.isupper() and len(word) > 1:
            out.append(word)
        else:
            out.append("-".join(capitalised(part) for part in word.split("-")))
    return " ".join(out)


def sentence(text: str) -> str:
    """One tidy sentence: single spaces, no stray commas, a capital, a full stop."""
    text = " ".join(text.split())
    text = re.sub(r",\s*([,.;:!?])", r"\1", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = capitalised(text.strip())
    return text if text[-1:] in ".!?" else f"{text}."


def noun_shown(noun: str) -> str:
    return {"ai": "AI", "ceo": "CEO", "hr": "HR"}.get(noun, noun)


def _seed(*parts: object) -> int:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _addressed(line: str, name: str, mode: str) -> str:
    """The line spoken to `name`: before it, after it, or not at all."""
    if mode == "before":
        rest = line if line.startswith(PRONOUN_STARTS) else line[:1].lower() + line[1:]
        return f"{name}, {rest}"
    if mode == "after":
        return f"{line[:-1]}, {name}{line[-1]}"
    return line


class LocalScriptWriter:
    name = "local"
    model = "offline-script-1"

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []

    def _wait(self, operation: str = "script") -> None:
        # Lets the offline provider stand in for a slow remote one in benchmarks.
        started = time.monotonic()
        if settings.LOCAL_PROVIDER_LATENCY_MS:
            time.sleep(settings.LOCAL_PROVIDER_LATENCY_MS / 1000)
        self.calls.append(
            CallRecord(
                provider=self.name,
                model=self.model,
                operation=operation,
                latency_ms=int((time.monotonic() - started) * 1000),
                attempts=1,
                cost_usd=0.0,
            )  # fmt: skip
        )

    def write(self, options: ScriptOptions) -> dict:
        self._wait()
        rng = random.Random(
            _seed(
                options.premise,
                options.genre,
                options.tone,
                options.episode_count,
                options.character_count,
                options.scenes_per_episode,
            )
        )
        reading = read(options.premise, genre_hint=options.genre)
        genre_key = palette_key(options.genre) or reading.genre
        palette = GENRES[genre_key]
        stake = reading.stake
        people = _cast(rng, reading, palette, options.character_count)
        lead = people[0]
        opponent = _opponent(people)
        characters = [_character(rng, person, lead, stake) for person in people]
        firsts = {p["id"]: p["first"] for p in people}

        places = [(p.name, p.at) for p in reading.places]
        events = palette["events"]
        offset = rng.randrange(len(events))
        used_lines: set[str] = set()
        per = options.scenes_per_episode
        episodes = []
        for e in range(options.episode_count):
            event_title, clause, thing = events[(offset + e) % len(events)]
            scenes = []
            for s in range(per):
                beat = BEATS[2] if per == 1 else BEATS[round(s * 4 / (per - 1))]
                cast = self._cast_for_scene(rng, characters, e, s, per)
                number = e * per + s
                if places and number % 2 == 0:
                    location, at = places[(number // 2) % len(places)]
                else:
                    location = rng.choice(palette["locations"])
                    at = f"at the {location}"
                time_of_day = rng.choice(TIMES)
                names = [firsts[c["id"]] for c in cast]
                words = {"stake": stake, "thing": thing, "clause": clause, "at": at,
                         "a": names[0], "b": names[1] if len(names) > 1 else ""}  # fmt: skip
                action = (ACTIONS if len(cast) > 1 else ACTIONS_ALONE)[beat].format(**words)
                names_in = _joined(names)
                scenes.append(
                    {
                        "id": f"sc_{e + 1:02d}_{s + 1:02d}",
                        "number": s + 1,
                        "title": title_case(f"{location} at {time_of_day}"),
                        "location": location,
                        "time_of_day": time_of_day,
                        "description": sentence(f"{capitalised(at)}, {action}"),
                        "visual_prompt": (
                            f"{location}, {time_of_day}, {names_in}: {action}, "
                            f"{options.tone or palette['tone']} mood, vertical 9:16 cinematic frame"
                        ),
                        "characters": [c["id"] for c in cast],
                        "dialogue": self._dialogue(rng, cast, firsts, beat, words, used_lines),
                        "target_duration": settings.DEFAULT_VIDEO_DURATION,
                    }
                )
            episodes.append(
                {
                    "id": f"ep_{e + 1:02d}",
                    "number": e + 1,
                    "title": f"Episode {e + 1}: {event_title}",
                    "synopsis": sentence(
                        f"In episode {e + 1}, {clause}, and "
                        + (
                            f"{lead['first']} and {opponent['first']} clash over {stake}"
                            if opponent
                            else f"{lead['first']} fights for {stake}"
                        )
                    ),  # fmt: skip
                    "scenes": scenes,
                }
            )

        conflict = (CONFLICTS[genre_key] if opponent else CONFLICT_ALONE).format(
            lead=lead["first"], opp=opponent["first"] if opponent else "", stake=stake
        )
        return {
            "title": _title(rng, reading, genre_key, lead, stake),
            "premise": options.premise,
            "logline": f"{_restated(reading, people)} {conflict} ({capitalised(OFFLINE_LABEL)}.)",
            "genre": options.genre or palette["label"],
            "tone": options.tone or palette["tone"],
            "characters": characters,
            "episodes": episodes,
        }

    def _cast_for_scene(
        self, rng: random.Random, characters: list[dict], episode: int, scene: int, per: int
    ) -> list[dict]:
        """Two or three characters; walking the cast in turn makes sure everyone appears."""
        if len(characters) <= 2:
            return list(characters)
        start = (episode * per + scene) * 2 % len(characters)
        cast = [characters[start], characters[(start + 1) % len(characters)]]
        if rng.random() < 0.35:
            extra = rng.choice(characters)
            if extra not in cast:
                cast.append(extra)
        return cast

    def _dialogue(
        self,
        rng: random.Random,
        cast: list[dict],
        firsts: dict[str, str],
        beat: str,
        words: dict[str, str],
        used: set[str],
    ) -> list[dict]:
        """The scene's beat in 3 to 5 lines, the first naming who it is said to; a line already
        said elsewhere in the drama is said another way."""
        lines = []
        for turn in range(max(len(cast), rng.randint(3, 5))):
            speaker = cast[turn % len(cast)]
            listener = cast[(turn + 1) % len(cast)]
            pool = OPENERS[beat] if turn == 0 else ANSWERS[beat] if turn % 2 else PRESSES
            name = firsts[listener["id"]] if listener is not speaker else ""
            line = ""
            for attempt in range(12):
                modes = (["before", "after"] if turn == 0 or attempt > 5 else
                         ["before", "after", "none", "none"])  # fmt: skip
                mode = rng.choice(modes) if name else "none"
                line = _addressed(rng.choice(pool).format(**words), name, mode)
                if line not in used:
                    break
            used.add(line)
            lines.append({"character": speaker["id"], "line": line})
        return lines

    def critique(self, script: dict) -> dict:
        self._wait("critique")
        issues = critique_issues(script)
        weights = {"major": 15, "minor": 5}
        score = max(0, 100 - sum(weights[i["severity"]] for i in issues))
        if not issues:
            summary = "The script is structurally sound: every character appears and speaks, "
            summary += "every scene has dialogue, and the episodes are balanced."
        else:
            counts = Counter(i["severity"] for i in issues)
            summary = (
                f"{len(issues)} issue(s) found: {counts.get('major', 0)} major, "
                f"{counts.get('minor', 0)} minor."
            )
        return {"score": score, "summary": summary, "issues": issues, "provider": self.name}

    def improve(self, script: dict, feedback: str) -> dict:
        """Fixes what the checks find, and writes the feedback into the script's direction."""
        self._wait("improve")
        improved = copy.deepcopy(script)
        rng = random.Random(_seed(json.dumps(script, sort_keys=True), feedback))
        characters = improved.get("characters", [])
        stake = read(improved.get("premise", "")).stake
        by_id = {c["id"]: c for c in characters}
        firsts = {c["id"]: (c.get("name") or c["id"]).split()[0] for c in characters}
        all_scenes = [s for e in improved.get("episodes", []) for s in e.get("scenes", [])]
        used = {d["line"] for s in all_scenes for d in s.get("dialogue", [])}

        def words(scene: dict) -> dict[str, str]:
            place = scene.get("location", "").strip()
            return {"stake": stake, "thing": "what happened", "clause": "nothing is as it seems",
                    "at": f"at the {place}" if place else "here"}  # fmt: skip

        def joining_line(scene: dict) -> str:
            line = rng.choice(ANSWERS["confrontation"]).format(**words(scene))
            used.add(line)
            return line

        for scene in all_scenes:
            # Scenes without a cast get the two characters who appear least so far.
            if not scene.get("characters") and characters:
                counts = _appearances(improved)
                least = sorted(characters, key=lambda c: (counts[c["id"]], c["id"]))[:2]
                scene["characters"] = [c["id"] for c in least]
            cast = [by_id[c] for c in scene["characters"] if c in by_id]
            if not scene.get("dialogue") and cast:
                beat = "confrontation"
                scene["dialogue"] = self._dialogue(rng, cast, firsts, beat, words(scene), used)

        # Characters who never appear join the scene with the smallest cast.
        counts = _appearances(improved)
        for character in characters:
            if counts[character["id"]] == 0 and all_scenes:
                scene = min(all_scenes, key=lambda s: (len(s["characters"]), s["id"]))
                scene["characters"].append(character["id"])
                scene.setdefault("dialogue", []).append(
                    {"character": character["id"], "line": joining_line(scene)}
                )
                counts[character["id"]] += 1

        # Characters who appear but never speak get a line in their first scene.
        speakers = {d["character"] for s in all_scenes for d in s.get("dialogue", [])}
        for character in characters:
            if character["id"] not in speakers:
                for scene in all_scenes:
                    if character["id"] in scene["characters"]:
                        scene["dialogue"].append(
                            {"character": character["id"], "line": joining_line(scene)}
                        )
                        break

        note = feedback.strip().rstrip(".")
        if note:
            improved["logline"] = _with_direction(improved.get("logline", ""), note)
            for episode in improved.get("episodes", []):
                episode["synopsis"] = _with_direction(episode.get("synopsis", ""), note)
        return improved


def _joined(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _role_of(mention: Mention, index: int, before: str) -> str:
    """The part a relation or a verb gives a person; '' when nothing says."""
    if index == 0:
        return "protagonist"
    if mention.noun in w.ANTAGONIST or "rival" in mention.modifiers:
        return "antagonist"
    if mention.noun in w.LOVE_INTEREST or re.search(
        r"\b(falls? (in love )?(for|with)|loves?|marr(y|ies)|kiss(es)?|dates?)\s*\Z", before
    ):
        return "love interest"
    if mention.noun in w.ALLY:
        return "ally"
    return ""


def _cast(rng: random.Random, reading: Reading, palette: dict, count: int) -> list[dict]:
    """The premise's people first (the first is the protagonist), then invented ones in the
    parts still missing, up to `count`."""
    people: list[dict] = []
    taken: set[str] = set()
    surnames = rng.sample(w.LAST_NAMES, k=len(w.LAST_NAMES))

    def first_name(gender: str) -> str:
        pool = {"female": w.FEMALE_FIRST, "male": w.MALE_FIRST}.get(
            gender, w.FEMALE_FIRST + w.MALE_FIRST
        )
        left = [n for n in pool if n not in taken] or [
            n for n in w.FEMALE_FIRST + w.MALE_FIRST if n not in taken
        ]
        return rng.choice(left)

    def add(first: str, last: str, noun: str, role: str, mention: Mention | None) -> None:
        taken.add(first)
        if last in surnames:
            surnames.remove(last)
        people.append({"id": f"char_{len(people) + 1:03d}", "first": first, "last": last,
                       "noun": noun, "role": role, "mention": mention})  # fmt: skip

    end = 0
    for mention in reading.mentions:
        before = reading.premise[end : mention.start].lower()
        end = mention.end
        for n in range(mention.count):
            if len(people) >= count:
                break
            role = _role_of(mention, len(people), before)
            if n and mention.count > 1 and "rival" in mention.modifiers and n == 1:
                role = "antagonist"
            elif n and not role:
                role = "ally"
            lead_last = people[0]["last"] if people else ""
            # Her sister shares her surname; the groom's brother does not.
            owned = mention.text.lower().startswith(("her ", "his ", "their ", "my ", "our "))
            kin = mention.noun in w.KIN and (owned or mention.count > 1)
            if mention.name:
                first, *rest = mention.name.split()
                last = " ".join(rest) or (lead_last if kin and lead_last else surnames[0])
            else:
                first = first_name(mention.gender)
                last = lead_last if kin and lead_last else surnames[0]
            add(first, last, noun_shown(mention.noun) or rng.choice(palette["people"]), role,
                mention)  # fmt: skip
    if not people:
        add(first_name(""), surnames[0], rng.choice(palette["people"]), "protagonist", None)
    # Siblings or colleagues who fight over something: the second of the lead's group opposes.
    group = [p for p in people if p["mention"] is not None and p["mention"] is people[0]["mention"]]
    if len(group) > 1 and all(p["role"] != "antagonist" for p in people):
        group[1]["role"] = "antagonist"
    # Parts a drama needs that the premise left open, in order.
    wanted = ["antagonist", "love interest", "ally", "confidant", "wildcard"]
    if palette["label"] != "romance":
        wanted.remove("love interest")
        wanted.insert(2, "love interest")
    unnamed = [p for p in people[1:] if not p["role"]]
    for person in unnamed:
        missing = [r for r in wanted if r not in {p["role"] for p in people}]
        person["role"] = missing[0] if missing else "ally"
    jobs = [j for j in palette["people"] if j not in {p["noun"] for p in people}] or palette[
        "people"
    ]
    while len(people) < count:
        missing = [r for r in wanted if r not in {p["role"] for p in people}]
        role = missing[0] if missing else rng.choice(["ally", "confidant", "wildcard"])
        add(first_name(""), surnames[0] if surnames else rng.choice(w.LAST_NAMES),
            jobs[len(people) % len(jobs)], role, None)  # fmt: skip
    return people


def _opponent(people: list[dict]) -> dict | None:
    for role in ("antagonist", "love interest", "wildcard", "ally", "confidant"):
        for person in people[1:]:
            if person["role"] == role:
                return person
    return people[1] if len(people) > 1 else None


def _character(rng: random.Random, person: dict, lead: dict, stake: str) -> dict:
    name = f"{person['first']} {person['last']}"
    trait = rng.choice(w.TRAITS)
    noun = person["noun"]
    mention = person["mention"]
    related = (
        person is not lead
        and mention is not None
        and mention.noun
        and (mention.noun in w.ALLY | w.LOVE_INTEREST | w.KIN | {"rival", "boss", "ex", "nemesis"})
    )
    who = f"{lead['first']}'s {trait} {noun}" if related else with_article(f"{trait} {noun}")
    role_line = ROLE_LINES.get(person["role"], ROLE_LINES["ally"]).format(
        first=person["first"], lead=lead["first"], stake=stake
    )
    outfit = w.ROLE_OUTFITS.get(noun.lower()) or rng.choice(w.OUTFITS)
    return {
        "id": person["id"],
        "name": name,
        "role": person["role"],
        "description": f"{sentence(who)} {role_line}",
        "appearance": (
            f"{name}, {rng.randint(22, 58)} years old, {rng.choice(w.HAIR)}, wearing {outfit}, "
            f"{trait} expression, cinematic portrait, vertical 9:16"
        ),
    }


def _title(rng: random.Random, reading: Reading, genre: str, lead: dict, stake: str) -> str:
    by_place, by_thing = w.TITLES_BY_GENRE[genre]
    thing = title_case(stake.removeprefix("the "))
    options = [t.format(thing=thing, lead=lead["first"]) for t in by_thing]
    if reading.places:
        at = reading.places[0].at
        options = [t.format(at=at) for t in by_place] + options[:1]
    return title_case(rng.choice(options))


PHRASE_PREPOSITIONS = {"of", "at", "in", "from", "on", "aboard", "inside"}


def _phrase_end(text: str, end: int) -> int:
    """Where the prepositional phrases right after a description end ("an intern at a startup
    in Berlin"): before the first word that reads as its verb (a word ending in -s)."""
    rest = text[end:]
    if not re.match(r"\s+(" + "|".join(PHRASE_PREPOSITIONS) + r")\b", rest):
        return end
    last = end
    for match in re.finditer(r"[^\s,]+", rest):
        word = match.group()
        if word[:1].islower() and word.endswith("s") and word.lower() not in PHRASE_PREPOSITIONS:
            break
        last = end + match.end()
        if rest[match.end() : match.end() + 1] == ",":
            break
    return last


def _restated(reading: Reading, people: list[dict]) -> str:
    """The premise with its people given their names: "Mira Sato, a nurse, discovers her twin
    Ines is alive." """
    text = reading.premise
    pieces, end = [], 0
    for mention in reading.mentions:
        mine = [p for p in people if p["mention"] is mention]
        if not mine:
            continue
        pieces.append(text[end : mention.start])
        end = mention.end
        if mention.name:
            pieces.append(mention.text)
            continue
        if mine[0] is people[0]:
            names = _joined([f"{p['first']} {p['last']}" for p in mine])
            end = _phrase_end(text, mention.end)
            described = text[mention.start : end].strip()
            pieces.append(f"{names}, {described[:1].lower()}{described[1:]},")
        elif re.match(r"\s+of\b", text[mention.end :]):
            pieces.append(mention.text)  # "the killer of her mentor": a name would split it
        elif mention.text.lower().endswith(("'s", "’s")):
            pieces.append(f"{mention.text[:-2]} {_joined([p['first'] for p in mine])}'s")
        elif len(mine) == 1 and mention.text.lower().startswith(("a ", "an ")):
            pieces.append(f"{mention.text} named {mine[0]['first']}")
        elif len(mine) == 1:
            pieces.append(f"{mention.text} {mine[0]['first']}")
        else:
            pieces.append(f"{mention.text}, {_joined([p['first'] for p in mine])},")
    pieces.append(text[end:])
    return sentence("".join(pieces).strip().rstrip(".!?") + ".")


def _with_direction(text: str, note: str) -> str:
    """Replaces an earlier direction, so improving twice does not pile them up."""
    base = re.sub(r"\s*Direction: .*\Z", "", text, flags=re.S).strip()
    note = " ".join(note.split())
    return f"{base} Direction: {note}.".strip()


def _appearances(script: dict) -> Counter:
    counts: Counter = Counter()
    for episode in script.get("episodes", []):
        for scene in episode.get("scenes", []):
            counts.update(scene.get("characters", []))
    return counts


def critique_issues(script: dict) -> list[dict]:
    """Structural checks of a script; each issue names the ids it is about."""
    issues: list[dict] = []

    def add(code: str, severity: str, message: str, refs: list[str]) -> None:
        issues.append({"code": code, "severity": severity, "message": message, "refs": refs})

    characters = script.get("characters", [])
    episodes = script.get("episodes", [])
    names = {c["id"]: c.get("name", c["id"]) for c in characters}
    appearances = _appearances(script)
    speakers: Counter = Counter()
    for episode in episodes:
        if not episode.get("scenes"):
            add("episode_without_scenes", "major", f"Episode {episode['id']} has no scenes.",
                [episode["id"]])  # fmt: skip
        if not episode.get("synopsis", "").strip():
            add("episode_without_synopsis", "minor",
                f"Episode {episode['id']} has no synopsis.", [episode["id"]])  # fmt: skip
        for scene in episode.get("scenes", []):
            lines = scene.get("dialogue", [])
            speakers.update(d["character"] for d in lines)
            if not scene.get("characters"):
                add("scene_without_characters", "major",
                    f"Scene {scene['id']} has no characters.", [scene["id"]])  # fmt: skip
            if not lines:
                add("scene_without_dialogue", "major",
                    f"Scene {scene['id']} has no dialogue.", [scene["id"]])  # fmt: skip
            absent = sorted({d["character"] for d in lines} - set(scene.get("characters", [])))
            for cid in absent:
                add("speaker_not_in_scene", "minor",
                    f"{names.get(cid, cid)} speaks in scene {scene['id']} without being in it.",
                    [scene["id"], cid])  # fmt: skip
            if len(lines) > 1 and len({d["character"] for d in lines}) == 1:
                add("monologue", "minor", f"Scene {scene['id']} is one character talking alone.",
                    [scene["id"]])  # fmt: skip
    for character in characters:
        cid = character["id"]
        if appearances[cid] == 0:
            add("character_never_appears", "major",
                f"{names[cid]} never appears in any scene.", [cid])  # fmt: skip
        elif speakers[cid] == 0:
            add("character_never_speaks", "minor", f"{names[cid]} appears but never speaks.",
                [cid])  # fmt: skip
        if not character.get("appearance", "").strip():
            add("character_without_appearance", "minor",
                f"{names[cid]} has no appearance, so portraits cannot be consistent.",
                [cid])  # fmt: skip
    counts = [len(e.get("scenes", [])) for e in episodes]
    if len(counts) > 1 and max(counts) > 0:
        mean = sum(counts) / len(counts)
        for episode, count in zip(episodes, counts, strict=True):
            if count and (count > mean * 1.5 or count < mean * 0.5):
                add("unbalanced_episode", "minor",
                    f"Episode {episode['id']} has {count} scenes against an average of "
                    f"{mean:.1f}.", [episode["id"]])  # fmt: skip
    return issues
