"""Checks of a script a model wrote, before anything else takes it for a drama.

Three layers: the JSON schema the model was asked to fill (`schema_problems`), the limits of
the drama API's script input (`SCRIPT_LIMITS`: id form, lengths, counts, durations, no blank
names or titles), and what no schema can say (`reference_problems`: ids are unique, and every
character a scene lists or a line names exists). The limits are written out here rather than
read from the drama app, which providers do not know; they follow its script input.
"""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator

# The drama API's id form: 1 to 40 letters, digits, `_` or `-`, starting with a letter or digit.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"
MAX_CHARACTERS = 30
MAX_EPISODES = 100
MAX_SCENES_PER_EPISODE = 40
MAX_LINES_PER_SCENE = 80
MAX_CHARACTERS_PER_SCENE = 12
MAX_PROBLEMS = 5  # reported in one error message; the rest are left out


def _id() -> dict[str, Any]:
    return {"type": "string", "pattern": ID_PATTERN}


def _text(max_length: int, *, blank: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if not blank:
        schema["minLength"] = 1
    return schema


def _list(items: dict[str, Any], max_items: int) -> dict[str, Any]:
    return {"type": "array", "items": items, "maxItems": max_items}


SCRIPT_LIMITS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": _text(200, blank=False),
        "premise": _text(2000),
        "logline": _text(2000),
        "genre": _text(60),
        "tone": _text(60),
        "characters": _list(
            {
                "type": "object",
                "properties": {
                    "id": _id(),
                    "name": _text(120, blank=False),
                    "role": _text(60),
                    "description": _text(5000),
                    "appearance": _text(5000),
                },
            },
            MAX_CHARACTERS,
        ),
        "episodes": _list(
            {
                "type": "object",
                "properties": {
                    "id": _id(),
                    "title": _text(200, blank=False),
                    "synopsis": _text(5000),
                    "scenes": _list(
                        {
                            "type": "object",
                            "properties": {
                                "id": _id(),
                                "title": _text(200),
                                "location": _text(200),
                                "time_of_day": _text(40),
                                "description": _text(5000),
                                "visual_prompt": _text(5000),
                                "characters": _list(_id(), MAX_CHARACTERS_PER_SCENE),
                                "dialogue": _list(
                                    {
                                        "type": "object",
                                        "properties": {
                                            "character": _id(),
                                            "line": _text(2000, blank=False),
                                        },
                                    },
                                    MAX_LINES_PER_SCENE,
                                ),
                                "target_duration": {"type": "integer", "minimum": 1, "maximum": 60},
                            },
                        },
                        MAX_SCENES_PER_EPISODE,
                    ),
                },
            },
            MAX_EPISODES,
        ),
    },
}
Draft202012Validator.check_schema(SCRIPT_LIMITS)


def schema_problems(schema: dict[str, Any], value: Any) -> list[str]:
    """Where `value` breaks `schema`, as `path: message` lines (`episodes[0].title: …`)."""
    errors = sorted(
        Draft202012Validator(schema).iter_errors(value),
        key=lambda error: list(map(str, error.absolute_path)),
    )
    return [f"{_path(error.absolute_path)}: {_message(error)}" for error in errors]


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "(the answer)"


def _message(error) -> str:
    if error.validator == "minLength" and error.validator_value == 1:
        return "must not be blank"
    if error.validator == "maxLength":
        return f"is longer than {error.validator_value} characters"
    if error.validator == "maxItems":
        return f"has more than {error.validator_value} items"
    if error.validator == "pattern" and error.validator_value == ID_PATTERN:
        return (
            f"{error.instance!r} is not an id: use 1 to 40 letters, digits, '_' or '-', "
            "starting with a letter or digit"
        )
    text = " ".join(error.message.split())
    return text if len(text) <= 200 else text[:197] + "..."


def stripped(value: Any) -> Any:
    """`value` with the whitespace around every string taken off, as the drama API does."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [stripped(item) for item in value]
    if isinstance(value, dict):
        return {key: stripped(item) for key, item in value.items()}
    return value


def reference_problems(script: dict[str, Any]) -> list[str]:
    """Duplicate ids, and characters a scene lists or a line names that the script lacks."""
    problems = []
    known: set[str] = set()
    for c, character in enumerate(script.get("characters", [])):
        if character["id"] in known:
            problems.append(f"characters[{c}].id: Duplicate character id '{character['id']}'.")
        known.add(character["id"])
    episode_ids: set[str] = set()
    scene_ids: set[str] = set()
    for e, episode in enumerate(script.get("episodes", [])):
        if episode["id"] in episode_ids:
            problems.append(f"episodes[{e}].id: Duplicate episode id '{episode['id']}'.")
        episode_ids.add(episode["id"])
        for s, scene in enumerate(episode.get("scenes", [])):
            path = f"episodes[{e}].scenes[{s}]"
            if scene["id"] in scene_ids:
                problems.append(f"{path}.id: Duplicate scene id '{scene['id']}'.")
            scene_ids.add(scene["id"])
            cast = scene.get("characters", [])
            problems += [
                f"{path}.characters: Unknown character id '{c}'." for c in cast if c not in known
            ]
            if len(set(cast)) != len(cast):
                problems.append(f"{path}.characters: A character is listed twice.")
            problems += [
                f"{path}.dialogue[{n}].character: Unknown character id '{line['character']}'."
                for n, line in enumerate(scene.get("dialogue", []))
                if line["character"] not in known
            ]
    return problems


def script_problems(script: dict[str, Any], *, schema: dict[str, Any]) -> list[str]:
    """Everything wrong with a script that was to fill `schema`; empty when it is good.

    The references are checked only once the shapes are right, as they rely on them.
    """
    problems = schema_problems(schema, script)
    if problems:
        return problems
    return schema_problems(SCRIPT_LIMITS, script) + reference_problems(script)


def numbered(script: dict[str, Any]) -> dict[str, Any]:
    """A copy of a good script with episodes and scenes numbered in order from 1, as the
    drama API numbers them."""
    script = copy.deepcopy(script)
    for e, episode in enumerate(script["episodes"]):
        episode["number"] = e + 1
        for s, scene in enumerate(episode["scenes"]):
            scene["number"] = s + 1
    return script
