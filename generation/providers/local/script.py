"""The offline script writer: a deterministic drama from a premise, with no network.

Same premise and options give the same drama, so demos and tests are repeatable. It honours
the requested size exactly, and every scene has characters and dialogue that reference real
characters. Critique comes from checks of the script's structure, and improve rewrites the
script to fix what those checks find and to carry the feedback.
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

OFFLINE_LABEL = "offline preview by the local provider"

FIRST_NAMES = [
    "Ava", "Leo", "Mira", "Jonah", "Sana", "Theo", "Iris", "Mateo", "Nadia", "Felix",
    "Yuna", "Omar", "Clara", "Ravi", "Elena", "Kai", "Noor", "Lucas", "Ines", "Hugo",
    "Zara", "Emil", "Lena", "Dario", "Maya", "Jin", "Rosa", "Viktor", "Aiko", "Sami",
]  # fmt: skip
LAST_NAMES = [
    "Hart", "Vale", "Okafor", "Lindqvist", "Moreau", "Castillo", "Tanaka", "Brandt",
    "Quinn", "Sato", "Ferreira", "Novak", "Reyes", "Ashford", "Kline", "Duarte",
]  # fmt: skip
ROLES = ["protagonist", "antagonist", "love interest", "mentor", "rival", "confidant",
         "wildcard", "sibling", "ally", "schemer"]  # fmt: skip
HAIR = ["short black hair", "long auburn hair", "silver-streaked hair", "a sleek bob",
        "curly dark hair", "a shaved head", "braided hair", "wavy blonde hair"]  # fmt: skip
OUTFITS = ["a tailored charcoal suit", "a worn leather jacket", "a crisp white shirt",
           "a red silk dress", "a hospital scrub top", "a navy trench coat",
           "a knitted sweater", "a sharp emerald blazer"]  # fmt: skip
TRAITS = ["guarded", "ambitious", "reckless", "loyal", "calculating", "warm", "haunted",
          "charming", "stubborn", "secretive"]  # fmt: skip

GENRES = {
    "romance": {
        "locations": [
            "rooftop garden",
            "rain-soaked street",
            "candlelit restaurant",
            "hotel lobby",
            "art gallery",
            "seaside boardwalk",
        ],
        "beats": [
            "a secret is almost spoken",
            "an old flame returns",
            "a promise is broken",
            "a confession is interrupted",
            "a rival makes an offer",
        ],
        "tone": "heartfelt",
    },
    "thriller": {
        "locations": [
            "parking garage",
            "abandoned warehouse",
            "glass-walled office",
            "subway platform",
            "motel room",
            "server room",
        ],
        "beats": [
            "a message arrives from an unknown number",
            "someone is being followed",
            "evidence goes missing",
            "an alibi falls apart",
            "a deal turns deadly",
        ],
        "tone": "tense",
    },
    "family": {
        "locations": [
            "family kitchen",
            "hospital corridor",
            "old farmhouse porch",
            "wedding hall",
            "cluttered attic",
            "school gate",
        ],
        "beats": [
            "an inheritance divides the family",
            "a long-lost sibling appears",
            "a parent hides an illness",
            "a wedding is called off",
            "a letter is found",
        ],
        "tone": "bittersweet",
    },
    "revenge": {
        "locations": [
            "penthouse suite",
            "boardroom",
            "charity gala",
            "prison visiting room",
            "luxury car",
            "private jet cabin",
        ],
        "beats": [
            "the betrayer is unmasked",
            "a fortune changes hands",
            "a mask slips",
            "an ally switches sides",
            "a trap is sprung",
        ],
        "tone": "cold",
    },
    "comedy": {
        "locations": [
            "chaotic office",
            "food truck",
            "karaoke bar",
            "dog park",
            "wedding rehearsal",
            "laundromat",
        ],
        "beats": [
            "a lie snowballs",
            "two dates are booked at once",
            "the wrong phone is taken",
            "a prank goes too far",
            "a boss overhears everything",
        ],
        "tone": "playful",
    },
}
TIMES = ["dawn", "morning", "afternoon", "dusk", "night", "late night"]
DEFAULT_GENRE = "thriller"

LINE_PATTERNS = [
    "You knew about {topic} all along, didn't you?",
    "I'm not leaving until you tell me the truth about {topic}.",
    "Everything changed the night of {topic}.",
    "If anyone finds out about {topic}, we're finished.",
    "Look at me. This is bigger than {topic}.",
    "I did it for you. All of it. Even {topic}.",
    "You think {topic} is the worst of it? Wait.",
    "Say it. Say you never cared about {topic}.",
    "We can still fix {topic}, if you trust me.",
    "Don't pretend {topic} was an accident.",
]
REPLY_PATTERNS = [
    "You have no idea what I gave up.",
    "Then maybe you never really knew me.",
    "Keep your voice down. They're listening.",
    "I was trying to protect you.",
    "It's too late for apologies.",
    "Then prove it. Tonight.",
    "Walk away while you still can.",
    "I never lied to you. I just didn't say everything.",
]

STOPWORDS = {"a", "an", "the", "of", "and", "to", "in", "on", "for", "with", "who", "her",
             "his", "their", "is", "at", "by", "from", "as", "that", "into", "after"}  # fmt: skip


def _seed(*parts: object) -> int:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _topic(premise: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z']+", premise.lower()) if w not in STOPWORDS]
    return " ".join(words[-2:]) if words else "what happened"


def _title_from(premise: str, rng: random.Random) -> str:
    words = [w for w in re.findall(r"[A-Za-z']+", premise) if w.lower() not in STOPWORDS]
    core = " ".join(w.capitalize() for w in words[:3]) or "Untitled"
    return rng.choice(["{c}", "The {c} Affair", "{c}: Secrets", "Love, Lies and {c}"]).format(
        c=core
    )


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
        genre_key = options.genre.lower() if options.genre.lower() in GENRES else DEFAULT_GENRE
        palette = GENRES[genre_key]
        topic = _topic(options.premise)

        names = rng.sample(FIRST_NAMES, k=min(options.character_count, len(FIRST_NAMES)))
        while len(names) < options.character_count:
            names.append(f"{rng.choice(FIRST_NAMES)} {len(names) + 1}")
        characters = []
        for index, first in enumerate(names):
            last = rng.choice(LAST_NAMES)
            role = ROLES[index] if index < len(ROLES) else rng.choice(ROLES)
            trait = rng.choice(TRAITS)
            characters.append(
                {
                    "id": f"char_{index + 1:03d}",
                    "name": f"{first} {last}",
                    "role": role,
                    "description": f"A {trait} {role} caught up in {topic}.",
                    "appearance": (
                        f"{first} {last}, {rng.randint(22, 58)} years old, {rng.choice(HAIR)}, "
                        f"wearing {rng.choice(OUTFITS)}, {trait} expression, "
                        "cinematic portrait, vertical 9:16"
                    ),
                }
            )

        episodes = []
        for e in range(options.episode_count):
            beat = palette["beats"][
                (e + rng.randrange(len(palette["beats"]))) % len(palette["beats"])
            ]
            scenes = []
            for s in range(options.scenes_per_episode):
                cast = self._cast_for_scene(rng, characters, e, s, options.scenes_per_episode)
                location = rng.choice(palette["locations"])
                time_of_day = rng.choice(TIMES)
                names_in = " and ".join(c["name"].split()[0] for c in cast)
                scenes.append(
                    {
                        "id": f"sc_{e + 1:02d}_{s + 1:02d}",
                        "number": s + 1,
                        "title": f"{location.title()} at {time_of_day}",
                        "location": location,
                        "time_of_day": time_of_day,
                        "description": f"At the {location}, {names_in} face the moment {beat}.",
                        "visual_prompt": (
                            f"{location}, {time_of_day}, {names_in}, {palette['tone']} mood, "
                            "vertical 9:16 cinematic frame"
                        ),
                        "characters": [c["id"] for c in cast],
                        "dialogue": self._dialogue(rng, cast, topic),
                        "target_duration": settings.DEFAULT_VIDEO_DURATION,
                    }
                )
            episodes.append(
                {
                    "id": f"ep_{e + 1:02d}",
                    "number": e + 1,
                    "title": f"Episode {e + 1}: {beat.capitalize()}",
                    "synopsis": f"In episode {e + 1}, {beat} as {topic} closes in.",
                    "scenes": scenes,
                }
            )

        lead = characters[0]["name"] if characters else "Someone"
        return {
            "title": _title_from(options.premise, rng),
            "premise": options.premise,
            "logline": f"{lead} must survive {topic} before it destroys everything. "
            f"({OFFLINE_LABEL})",
            "genre": options.genre or genre_key,
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

    def _dialogue(self, rng: random.Random, cast: list[dict], topic: str) -> list[dict]:
        lines = []
        for turn in range(rng.randint(3, 5)):
            speaker = cast[turn % len(cast)]
            pattern = rng.choice(LINE_PATTERNS if turn % 2 == 0 else REPLY_PATTERNS)
            lines.append({"character": speaker["id"], "line": pattern.format(topic=topic)})
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
        topic = _topic(improved.get("premise", ""))
        by_id = {c["id"]: c for c in characters}
        all_scenes = [s for e in improved.get("episodes", []) for s in e.get("scenes", [])]

        for scene in all_scenes:
            # Scenes without a cast get the two characters who appear least so far.
            if not scene.get("characters") and characters:
                counts = _appearances(improved)
                least = sorted(characters, key=lambda c: (counts[c["id"]], c["id"]))[:2]
                scene["characters"] = [c["id"] for c in least]
            cast = [by_id[c] for c in scene["characters"] if c in by_id]
            if not scene.get("dialogue") and cast:
                scene["dialogue"] = self._dialogue(rng, cast, topic)

        # Characters who never appear join the scene with the smallest cast.
        counts = _appearances(improved)
        for character in characters:
            if counts[character["id"]] == 0 and all_scenes:
                scene = min(all_scenes, key=lambda s: (len(s["characters"]), s["id"]))
                scene["characters"].append(character["id"])
                scene.setdefault("dialogue", []).append(
                    {"character": character["id"], "line": rng.choice(REPLY_PATTERNS)}
                )
                counts[character["id"]] += 1

        # Characters who appear but never speak get a line in their first scene.
        speakers = {d["character"] for s in all_scenes for d in s.get("dialogue", [])}
        for character in characters:
            if character["id"] not in speakers:
                for scene in all_scenes:
                    if character["id"] in scene["characters"]:
                        scene["dialogue"].append(
                            {"character": character["id"], "line": rng.choice(REPLY_PATTERNS)}
                        )
                        break

        note = feedback.strip().rstrip(".")
        if note:
            improved["logline"] = _with_direction(improved.get("logline", ""), note)
            for episode in improved.get("episodes", []):
                episode["synopsis"] = _with_direction(episode.get("synopsis", ""), note)
        return improved


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
