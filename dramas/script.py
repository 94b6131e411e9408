"""A script as plain data (the shape providers write and the create body carries): ids and
numbers assigned where missing, ids unique, references to characters real."""

from __future__ import annotations

from dramaplatform.errors import InvalidInput


def normalise_script(script: dict) -> dict:
    """Assigns missing ids and numbers; checks that ids are unique and references are real.

    Raises InvalidInput whose keys are paths such as `episodes[0].scenes[2].characters`.
    """
    errors: dict[str, list[str]] = {}
    characters = script.get("characters", [])
    seen: set[str] = set()
    for i, character in enumerate(characters):
        character.setdefault("id", f"char_{i + 1:03d}")
        if character["id"] in seen:
            errors[f"characters[{i}].id"] = [f"Duplicate character id '{character['id']}'."]
        seen.add(character["id"])
    known = seen
    episode_ids: set[str] = set()
    scene_ids: set[str] = set()
    for e, episode in enumerate(script.get("episodes", [])):
        episode["number"] = e + 1
        episode.setdefault("id", f"ep_{e + 1:02d}")
        if episode["id"] in episode_ids:
            errors[f"episodes[{e}].id"] = [f"Duplicate episode id '{episode['id']}'."]
        episode_ids.add(episode["id"])
        for s, scene in enumerate(episode.setdefault("scenes", [])):
            path = f"episodes[{e}].scenes[{s}]"
            scene["number"] = s + 1
            scene.setdefault("id", f"sc_{e + 1:02d}_{s + 1:02d}")
            if scene["id"] in scene_ids:
                errors[f"{path}.id"] = [f"Duplicate scene id '{scene['id']}'."]
            scene_ids.add(scene["id"])
            errors.update(scene_reference_errors(scene, known, path))
    if errors:
        raise InvalidInput(errors)
    return script


def scene_reference_errors(scene: dict, known: set[str], path: str) -> dict[str, list[str]]:
    errors = {}
    unknown = [c for c in scene.get("characters", []) if c not in known]
    if unknown:
        errors[f"{path}.characters"] = [f"Unknown character id '{c}'." for c in unknown]
    if len(set(scene.get("characters", []))) != len(scene.get("characters", [])):
        errors.setdefault(f"{path}.characters", []).append("A character is listed twice.")
    for n, line in enumerate(scene.get("dialogue", [])):
        if line["character"] not in known:
            errors[f"{path}.dialogue[{n}].character"] = [
                f"Unknown character id '{line['character']}'."
            ]
    return errors
