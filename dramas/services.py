"""Writes to dramas: create, edit, delete, and the script jobs (write, improve, critique).

Every write bumps the drama's version with one conditional UPDATE: given an expected version
(If-Match, or the version an improve job started from), a stale one changes nothing and
raises PreconditionFailed.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dramaplatform.errors import Conflict, InvalidInput, PreconditionFailed
from dramas.models import Character, DialogueLine, Drama, Episode, Scene
from dramas.script import normalise_script, scene_reference_errors
from dramas.voices import cast_voices

DRAMA_FIELDS = ("title", "premise", "logline", "genre", "tone")
CHARACTER_FIELDS = ("name", "role", "description", "appearance")
EPISODE_FIELDS = ("title", "synopsis")
SCENE_FIELDS = ("title", "location", "time_of_day", "description", "visual_prompt",
                "target_duration")  # fmt: skip


def drama_bump_version(*, drama: Drama, expected_version: int | None = None) -> int:
    """Claims the next version of the drama; returns it. Call inside the write's transaction."""
    dramas = Drama.objects.filter(pk=drama.pk)
    if expected_version is not None:
        dramas = dramas.filter(version=expected_version)
    if dramas.update(version=F("version") + 1, updated_at=timezone.now()) != 1:
        raise PreconditionFailed(
            "The drama changed since you read it (version "
            f"{expected_version} is stale): fetch it again and retry."
        )
    drama.refresh_from_db(fields=["version", "updated_at"])
    return drama.version


# ---------------------------------------------------------------- create
@transaction.atomic
def drama_create(*, owner: AbstractBaseUser, data: dict) -> Drama:
    """Creates a whole drama from a validated script (see DramaCreateInput)."""
    drama = Drama.objects.create(
        owner=owner, status=Drama.Status.READY, **{f: data.get(f, "") for f in DRAMA_FIELDS}
    )
    _script_insert(drama=drama, script=data)
    return drama


def _script_insert(*, drama: Drama, script: dict) -> None:
    """Inserts characters, episodes, scenes and dialogue in a few bulk statements."""
    cast = script.get("characters", [])
    characters = Character.objects.bulk_create(
        [
            Character(
                drama=drama,
                key=c["id"],
                order=i,
                voice=voice,
                **{f: c.get(f, "") for f in CHARACTER_FIELDS},
            )  # fmt: skip
            for i, (c, voice) in enumerate(zip(cast, cast_voices(cast), strict=True))
        ]
    )
    _episodes_insert(drama=drama, episodes=script.get("episodes", []), characters=characters)


def _episodes_insert(*, drama: Drama, episodes: list[dict], characters: list[Character]) -> None:
    by_key = {c.key: c for c in characters}
    episode_rows = Episode.objects.bulk_create(
        [
            Episode(
                drama=drama,
                key=e["id"],
                number=e["number"],
                title=e["title"],
                synopsis=e.get("synopsis", ""),
            )  # fmt: skip
            for e in episodes
        ]
    )
    scene_data = [(row, s) for row, e in zip(episode_rows, episodes, strict=True)
                  for s in e.get("scenes", [])]  # fmt: skip
    scene_rows = Scene.objects.bulk_create(
        [
            Scene(drama=drama, episode=row, key=s["id"], number=s["number"], **_scene_values(s))
            for row, s in scene_data
        ]  # fmt: skip
    )
    _scene_people_insert(
        pairs=list(zip(scene_rows, (s for _, s in scene_data), strict=True)), by_key=by_key
    )


def _scene_values(scene: dict) -> dict:
    values = {f: scene[f] for f in SCENE_FIELDS if f in scene}
    values.setdefault("target_duration", 10)
    return values


def _scene_people_insert(*, pairs: list[tuple[Scene, dict]], by_key: dict[str, Character]):
    through = Scene.characters.through
    through.objects.bulk_create(
        [
            through(scene_id=row.pk, character_id=by_key[k].pk)
            for row, s in pairs
            for k in s.get("characters", [])
        ]  # fmt: skip
    )
    DialogueLine.objects.bulk_create(
        [
            DialogueLine(scene=row, order=n, character=by_key[d["character"]], line=d["line"])
            for row, s in pairs
            for n, d in enumerate(s.get("dialogue", []))
        ]  # fmt: skip
    )


@transaction.atomic
def drama_create_writing(
    *, owner: AbstractBaseUser, premise: str, genre: str = "", tone: str = ""
) -> Drama:
    """A drama whose script is about to be written from its premise."""
    return Drama.objects.create(
        owner=owner,
        title=premise[:200],
        premise=premise,
        genre=genre,
        tone=tone,
        status=Drama.Status.WRITING,
    )


# ---------------------------------------------------------------- edit
@transaction.atomic
def drama_update(*, drama: Drama, data: dict, expected_version: int | None = None) -> Drama:
    drama_bump_version(drama=drama, expected_version=expected_version)
    for name, value in data.items():
        setattr(drama, name, value)
    drama.save(update_fields=[*data.keys(), "updated_at"])
    return drama


@transaction.atomic
def drama_delete(*, drama: Drama, expected_version: int | None = None) -> None:
    """Deletes the drama and, by the cascade, all that belongs to it (the files of its media
    go once that has committed: see assets.apps)."""
    drama_bump_version(drama=drama, expected_version=expected_version)
    drama.delete()


@transaction.atomic
def character_update(
    *, character: Character, data: dict, expected_version: int | None = None
) -> Character:
    drama_bump_version(drama=character.drama, expected_version=expected_version)
    for name, value in data.items():
        setattr(character, name, value)
    character.save(update_fields=list(data.keys()))
    return character


@transaction.atomic
def episode_update(*, episode: Episode, data: dict, expected_version: int | None = None) -> Episode:
    drama_bump_version(drama=episode.drama, expected_version=expected_version)
    for name, value in data.items():
        setattr(episode, name, value)
    episode.save(update_fields=list(data.keys()))
    return episode


@transaction.atomic
def scene_update(*, scene: Scene, data: dict, expected_version: int | None = None) -> Scene:
    """Updates a scene; `characters` and `dialogue`, when given, replace the old ones."""
    drama = scene.drama
    by_key = {c.key: c for c in drama.characters.all()}
    errors = scene_reference_errors(data, set(by_key), "scene")
    if errors:
        raise InvalidInput({k.removeprefix("scene."): v for k, v in errors.items()})
    drama_bump_version(drama=drama, expected_version=expected_version)
    fields = [f for f in SCENE_FIELDS if f in data]
    for name in fields:
        setattr(scene, name, data[name])
    if fields:
        scene.save(update_fields=fields)
    if "characters" in data:
        scene.characters.set([by_key[k] for k in data["characters"]])
    if "dialogue" in data:
        scene.dialogue.all().delete()
        _scene_people_insert(pairs=[(scene, {"dialogue": data["dialogue"]})], by_key=by_key)
    return scene


# ---------------------------------------------------------------- script jobs
def require_script(*, drama: Drama) -> None:
    """Improve and critique need a script: refuse while it is being written or after it failed."""
    if drama.status in (Drama.Status.WRITING, Drama.Status.FAILED):
        raise Conflict(f"The drama has no script to work on yet (status '{drama.status}').")


def script_of(drama: Drama) -> dict:
    """The drama as a plain script dictionary, as the providers read and write it."""
    scenes_by_episode: dict[int, list[dict]] = {}
    scenes = Scene.objects.filter(drama=drama).prefetch_related("characters", "dialogue__character")
    for scene in scenes:
        scenes_by_episode.setdefault(scene.episode_id, []).append(
            {
                "id": scene.key,
                "number": scene.number,
                **{f: getattr(scene, f) for f in SCENE_FIELDS},
                "characters": [c.key for c in scene.characters.all()],
                "dialogue": [
                    {"character": d.character.key, "line": d.line} for d in scene.dialogue.all()
                ],
            }
        )
    return {
        **{f: getattr(drama, f) for f in DRAMA_FIELDS},
        "characters": [
            {"id": c.key, **{f: getattr(c, f) for f in CHARACTER_FIELDS}}
            for c in drama.characters.all()
        ],
        "episodes": [
            {
                "id": e.key,
                "number": e.number,
                "title": e.title,
                "synopsis": e.synopsis,
                "scenes": scenes_by_episode.get(e.pk, []),
            }
            for e in drama.episodes.all()
        ],
    }


@transaction.atomic
def script_save(*, drama: Drama, script: dict, expected_version: int | None) -> Drama:
    """Saves a script a provider wrote over the drama's, keeping rows whose ids stay.

    Characters, episodes and scenes are matched by id, so their assets survive a rewrite;
    rows the new script drops are deleted. Refuses (PreconditionFailed) if the drama changed
    since `expected_version`.
    """
    script = normalise_script(script)
    drama_bump_version(drama=drama, expected_version=expected_version)
    for name in DRAMA_FIELDS:
        if name in script:
            setattr(drama, name, script[name][: Drama._meta.get_field(name).max_length or None])
    drama.status = Drama.Status.READY
    drama.save(update_fields=[*DRAMA_FIELDS, "status", "updated_at"])

    old_characters = {c.key: c for c in drama.characters.all()}
    characters = []
    for order, data in enumerate(script["characters"]):
        character = old_characters.pop(data["id"], None) or Character(drama=drama, key=data["id"])
        for name in CHARACTER_FIELDS:
            setattr(character, name, data.get(name, ""))
        character.order = order
        characters.append(character)
    dropped = [c.pk for c in old_characters.values()]
    # A kept character keeps its voice (or the one the script names); a new one is cast.
    voices = cast_voices(
        [{**d, "voice": d.get("voice") or c.voice} for d, c in
         zip(script["characters"], characters, strict=True)]
    )  # fmt: skip
    for character, voice in zip(characters, voices, strict=True):
        character.voice = voice
    Character.objects.filter(pk__in=dropped).delete()
    Character.objects.bulk_create([c for c in characters if c.pk is None])
    Character.objects.bulk_update(
        [c for c in characters if c.pk is not None], [*CHARACTER_FIELDS, "voice", "order"]
    )
    by_key = {c.key: c for c in characters}

    old_episodes = {e.key: e for e in drama.episodes.all()}
    old_scenes = {s.key: s for s in Scene.objects.filter(drama=drama)}
    # Numbers are unique per drama/episode: move the kept rows out of the way first.
    Episode.objects.filter(drama=drama).update(number=F("number") + 100_000)
    Scene.objects.filter(drama=drama).update(number=F("number") + 100_000)
    new_episodes, kept_scene_pairs, new_scene_pairs = [], [], []
    for data in script["episodes"]:
        episode = old_episodes.pop(data["id"], None)
        if episode is None:
            new_episodes.append(data)
            continue
        episode.number, episode.title = data["number"], data["title"]
        episode.synopsis = data.get("synopsis", "")
        episode.save(update_fields=["number", "title", "synopsis"])
        for scene_data in data["scenes"]:
            scene = old_scenes.pop(scene_data["id"], None)
            if scene is None:
                scene = Scene(drama=drama, episode=episode, key=scene_data["id"])
                new_scene_pairs.append((scene, scene_data))
            else:
                scene.episode = episode
                kept_scene_pairs.append((scene, scene_data))
            scene.number = scene_data["number"]
            for name, value in _scene_values(scene_data).items():
                setattr(scene, name, value)
    # Kept scenes move first: one may leave an episode that is about to be dropped.
    Scene.objects.bulk_update(
        [s for s, _ in kept_scene_pairs], ["episode", "number", *SCENE_FIELDS]
    )
    dropped_scenes = [s.pk for s in old_scenes.values()]
    dropped_episodes = [e.pk for e in old_episodes.values()]
    Scene.objects.filter(pk__in=dropped_scenes).delete()
    Episode.objects.filter(pk__in=dropped_episodes).delete()
    Scene.objects.bulk_create([s for s, _ in new_scene_pairs])
    kept_ids = [s.pk for s, _ in kept_scene_pairs]
    Scene.characters.through.objects.filter(scene_id__in=kept_ids).delete()
    DialogueLine.objects.filter(scene_id__in=kept_ids).delete()
    _scene_people_insert(pairs=kept_scene_pairs + new_scene_pairs, by_key=by_key)
    _episodes_insert(drama=drama, episodes=new_episodes, characters=characters)
    return drama


def drama_save_critique(*, drama: Drama, critique: dict) -> None:
    # The critique is a note about the script, not an edit of it: the version stays.
    Drama.objects.filter(pk=drama.pk).update(critique=critique)


def drama_mark_script_failed(*, drama_id: int) -> None:
    """A drama whose first script could not be written is marked failed."""
    Drama.objects.filter(pk=drama_id, status=Drama.Status.WRITING).update(
        status=Drama.Status.FAILED
    )


def drama_set_status(*, drama_id: int, status: str) -> None:
    """Generation's progress on the drama (`generating`, `produced`); not a script edit."""
    Drama.objects.filter(pk=drama_id).update(status=status)
