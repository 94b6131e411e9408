"""The offline `local` script writer: write, critique and improve, and saving what it writes."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from dramaplatform.errors import InvalidInput, PreconditionFailed
from dramas.models import Character, DialogueLine, Drama, Episode, Scene
from dramas.script import normalise_script
from dramas.serializers import DramaCreateInput
from dramas.services import drama_create, script_of, script_save
from generation.providers.base import ScriptOptions
from generation.providers.local.script import GENRES, LocalScriptWriter

pytestmark = pytest.mark.django_db

PREMISE = "Two rival chefs inherit the same restaurant"

# (characters, episodes, scenes per episode), from the smallest PremiseInput allows to the largest.
SIZES = [(1, 1, 1), (2, 1, 1), (3, 4, 2), (4, 3, 3), (5, 2, 12), (7, 1, 4), (12, 20, 12)]


def write(premise: str = PREMISE, **options) -> dict:
    return LocalScriptWriter().write(ScriptOptions(premise=premise, **options))


def sized(characters: int, episodes: int, scenes: int, **options) -> dict:
    return write(
        character_count=characters, episode_count=episodes, scenes_per_episode=scenes, **options
    )


def scenes_of(script: dict) -> list[dict]:
    return [scene for episode in script["episodes"] for scene in episode["scenes"]]


def issues(critique: dict) -> set[tuple[str, str, tuple[str, ...]]]:
    """The critique's issues as (code, severity, refs), for comparing."""
    return {(i["code"], i["severity"], tuple(i["refs"])) for i in critique["issues"]}


def majors(script: dict) -> list[dict]:
    return [i for i in LocalScriptWriter().critique(script)["issues"] if i["severity"] == "major"]


def ids(script: dict) -> tuple[list[str], list[str], list[str]]:
    return (
        [c["id"] for c in script["characters"]],
        [e["id"] for e in script["episodes"]],
        [s["id"] for s in scenes_of(script)],
    )


def comparable(script: dict) -> dict:
    """The script as `script_of` gives it back: a scene's cast has no order of its own."""
    script = copy.deepcopy(script)
    for scene in scenes_of(script):
        scene["characters"] = sorted(scene["characters"])
    return script


# ---------------------------------------------------------------- a small script by hand
def _scene(sid: str, cast: list[str], speakers: list[str]) -> dict:
    return {
        "id": sid,
        "title": f"Scene {sid}",
        "location": "kitchen",
        "time_of_day": "night",
        "description": "They argue over the recipe.",
        "visual_prompt": "a busy kitchen at night",
        "characters": cast,
        "dialogue": [{"character": c, "line": f"Line {n} of {c}."} for n, c in enumerate(speakers)],
        "target_duration": 8,
    }


def tidy_script() -> dict:
    """Three characters over two episodes of two scenes: nothing for critique to find."""
    return {
        "title": "Kitchen War",
        "premise": PREMISE,
        "logline": "Two chefs, one kitchen.",
        "genre": "comedy",
        "tone": "playful",
        "characters": [
            {"id": cid, "name": name, "role": "lead", "description": "A chef.",
             "appearance": f"{name}, 30 years old, white apron"}
            for cid, name in [("char_001", "Ava Hart"), ("char_002", "Leo Vale"),
                              ("char_003", "Mira Sato")]
        ],
        "episodes": [
            {"id": "ep_01", "title": "Opening night", "synopsis": "The doors open.",
             "scenes": [_scene("sc_01_01", ["char_001", "char_002"], ["char_001", "char_002"]),
                        _scene("sc_01_02", ["char_002", "char_003"], ["char_002", "char_003"])]},
            {"id": "ep_02", "title": "The critic", "synopsis": "A critic arrives.",
             "scenes": [_scene("sc_02_01", ["char_003", "char_001"], ["char_003", "char_001"]),
                        _scene("sc_02_02", ["char_001", "char_002"], ["char_001", "char_002"])]},
        ],
    }  # fmt: skip


def _scene_by_id(script: dict, sid: str) -> dict:
    return next(s for s in scenes_of(script) if s["id"] == sid)


def _never_appears(script: dict) -> None:
    script["characters"].append(
        {"id": "char_004", "name": "Noor Quinn", "appearance": "Noor, a waiter in black"}
    )


def _without_dialogue(script: dict) -> None:
    _scene_by_id(script, "sc_01_02")["dialogue"] = []


def _without_characters(script: dict) -> None:
    scene = _scene_by_id(script, "sc_02_02")
    scene["characters"], scene["dialogue"] = [], []


def _speaker_not_in_scene(script: dict) -> None:
    _scene_by_id(script, "sc_01_01")["dialogue"].append({"character": "char_003", "line": "Hi."})


def _monologue(script: dict) -> None:
    _scene_by_id(script, "sc_02_02")["dialogue"] = [
        {"character": "char_001", "line": "I cooked."},
        {"character": "char_001", "line": "I cleaned."},
        {"character": "char_001", "line": "Alone."},
    ]


def _unbalanced(script: dict) -> None:
    first, second = script["episodes"]
    extra = copy.deepcopy(first["scenes"])
    for n, scene in enumerate(extra, start=3):
        scene["id"] = f"sc_01_{n:02d}"
    first["scenes"] += extra  # 4 scenes against 1: the average is 2.5
    second["scenes"] = second["scenes"][:1]


def _never_speaks(script: dict) -> None:
    for scene in scenes_of(script):
        scene["dialogue"] = [d for d in scene["dialogue"] if d["character"] != "char_003"]


def _without_appearance(script: dict) -> None:
    script["characters"][0]["appearance"] = "  "


def _episode_without_scenes(script: dict) -> None:
    script["episodes"].append({"id": "ep_03", "title": "Empty", "synopsis": "", "scenes": []})


BREAKAGES: list[tuple[Callable[[dict], None], set[tuple[str, str, tuple[str, ...]]]]] = [
    (_never_appears, {("character_never_appears", "major", ("char_004",))}),
    (_without_dialogue, {("scene_without_dialogue", "major", ("sc_01_02",))}),
    (_without_characters, {("scene_without_characters", "major", ("sc_02_02",))}),
    (_speaker_not_in_scene, {("speaker_not_in_scene", "minor", ("sc_01_01", "char_003"))}),
    (_monologue, {("monologue", "minor", ("sc_02_02",))}),
    (
        _unbalanced,
        {
            ("unbalanced_episode", "minor", ("ep_01",)),
            ("unbalanced_episode", "minor", ("ep_02",)),
        },
    ),
    (_never_speaks, {("character_never_speaks", "minor", ("char_003",))}),
    (_without_appearance, {("character_without_appearance", "minor", ("char_001",))}),
    (
        _episode_without_scenes,
        {
            ("episode_without_scenes", "major", ("ep_03",)),
            ("episode_without_synopsis", "minor", ("ep_03",)),
        },
    ),
]
BREAKAGE_IDS = [breakage.__name__.lstrip("_") for breakage, _ in BREAKAGES]


def broken(*breakages: Callable[[dict], None]) -> dict:
    script = tidy_script()
    for breakage in breakages:
        breakage(script)
    return script


# ---------------------------------------------------------------- write: determinism
def test_it_writes_the_same_script_for_the_same_premise_and_options():
    options = ScriptOptions(premise=PREMISE, genre="romance", tone="", episode_count=2)
    writer = LocalScriptWriter()

    first = writer.write(options)

    assert writer.write(options) == first
    assert LocalScriptWriter().write(ScriptOptions(**options.__dict__)) == first


def test_it_writes_a_different_drama_for_a_different_premise():
    first = write(PREMISE)
    second = write("A nurse discovers her twin is alive")

    assert second["premise"] == "A nurse discovers her twin is alive"
    # Not only the premise: the cast and the words they say change too.
    assert [c["name"] for c in first["characters"]] != [c["name"] for c in second["characters"]]
    assert [s["dialogue"] for s in scenes_of(first)] != [s["dialogue"] for s in scenes_of(second)]


@pytest.mark.parametrize(
    "change",
    [
        {"genre": "romance"},
        {"tone": "gloomy"},
        {"episode_count": 4},
        {"character_count": 5},
        {"scenes_per_episode": 2},
    ],
    ids=lambda change: next(iter(change)),
)
def test_it_writes_a_different_drama_for_a_different_option(change):
    base = write()
    changed = write(**change)

    assert changed != base
    assert changed["characters"] != base["characters"] or ids(changed) != ids(base)


def test_it_sets_scenes_in_the_locations_of_the_genre_and_the_premise():
    script = sized(3, 3, 3, genre="Romance")

    assert script["genre"] == "Romance"
    assert script["tone"] == GENRES["romance"]["tone"]
    # The premise's restaurant, and the rest from the romance palette.
    locations = {s["location"] for s in scenes_of(script)}
    assert "restaurant" in locations
    assert locations - {"restaurant"} <= set(GENRES["romance"]["locations"])


def test_it_takes_the_palette_from_the_premise_for_an_unknown_genre_but_keeps_its_name():
    script = sized(3, 2, 3, genre="space opera", tone="wry")

    assert script["genre"] == "space opera"
    assert script["tone"] == "wry"
    # "space" points to science fiction.
    locations = {s["location"] for s in scenes_of(script)} - {"restaurant"}
    assert locations <= set(GENRES["science fiction"]["locations"])


def test_it_labels_the_drama_as_an_offline_preview():
    assert "offline preview" in write()["logline"].lower()


# ---------------------------------------------------------------- write: size and shape
@pytest.mark.parametrize(("characters", "episodes", "scenes"), SIZES)
def test_it_writes_exactly_the_requested_size(characters, episodes, scenes):
    script = sized(characters, episodes, scenes)

    assert len(script["characters"]) == characters
    assert [e["number"] for e in script["episodes"]] == list(range(1, episodes + 1))
    for episode in script["episodes"]:
        assert [s["number"] for s in episode["scenes"]] == list(range(1, scenes + 1))


@pytest.mark.parametrize(("characters", "episodes", "scenes"), SIZES)
def test_it_writes_scenes_whose_cast_and_speakers_are_real_characters(characters, episodes, scenes):
    script = sized(characters, episodes, scenes)
    known = {c["id"] for c in script["characters"]}

    for scene in scenes_of(script):
        assert scene["characters"], scene["id"]
        assert scene["dialogue"], scene["id"]
        assert set(scene["characters"]) <= known
        assert len(set(scene["characters"])) == len(scene["characters"])
        speakers = {line["character"] for line in scene["dialogue"]}
        assert speakers <= set(scene["characters"]), scene["id"]
        assert all(line["line"].strip() for line in scene["dialogue"])


@pytest.mark.parametrize(("characters", "episodes", "scenes"), SIZES)
def test_it_gives_every_character_episode_and_scene_a_unique_id(characters, episodes, scenes):
    for kind in ids(sized(characters, episodes, scenes)):
        assert len(set(kind)) == len(kind)


@pytest.mark.parametrize(
    ("characters", "episodes", "scenes"),
    [(3, 1, 2), (4, 2, 1), (5, 1, 3), (7, 2, 2), (12, 2, 3), (12, 20, 12)],
)
def test_it_brings_every_character_on_and_lets_them_speak_when_there_are_enough_scenes(
    characters, episodes, scenes
):
    script = sized(characters, episodes, scenes)

    cast = {c for s in scenes_of(script) for c in s["characters"]}
    speakers = {d["character"] for s in scenes_of(script) for d in s["dialogue"]}
    everyone = {c["id"] for c in script["characters"]}
    assert cast == everyone
    assert speakers == everyone


def test_it_describes_how_every_character_looks():
    script = sized(12, 2, 3)

    for character in script["characters"]:
        assert character["name"] in character["appearance"]
        assert "9:16" in character["appearance"]
    assert len({c["name"] for c in script["characters"]}) == 12


@pytest.mark.parametrize(("characters", "episodes", "scenes"), SIZES)
def test_it_writes_a_script_the_api_would_accept(characters, episodes, scenes):
    script = sized(characters, episodes, scenes)

    normalised = normalise_script(copy.deepcopy(script))
    serializer = DramaCreateInput(data=copy.deepcopy(script))

    assert normalised == script
    assert serializer.is_valid(), serializer.errors


@pytest.mark.parametrize(("characters", "episodes", "scenes"), [(1, 1, 1), (3, 4, 2), (12, 20, 12)])
def test_it_saves_the_written_script_into_a_drama_that_was_waiting_for_it(
    user, characters, episodes, scenes
):
    drama = Drama.objects.create(
        owner=user, title=PREMISE, premise=PREMISE, status=Drama.Status.WRITING
    )
    script = sized(characters, episodes, scenes)

    script_save(drama=drama, script=copy.deepcopy(script), expected_version=None)

    drama.refresh_from_db()
    assert drama.status == Drama.Status.READY
    assert drama.version == 2
    assert drama.title == script["title"]
    assert Character.objects.filter(drama=drama).count() == characters
    assert Episode.objects.filter(drama=drama).count() == episodes
    assert Scene.objects.filter(drama=drama).count() == episodes * scenes
    lines = sum(len(s["dialogue"]) for s in scenes_of(script))
    assert DialogueLine.objects.filter(scene__drama=drama).count() == lines
    assert script_of(drama) == comparable(script)


# ---------------------------------------------------------------- critique
def test_it_finds_nothing_wrong_with_a_tidy_script():
    critique = LocalScriptWriter().critique(tidy_script())

    assert critique["issues"] == []
    assert critique["score"] == 100
    assert critique["provider"] == "local"
    assert critique["summary"]


@pytest.mark.parametrize(("breakage", "expected"), BREAKAGES, ids=BREAKAGE_IDS)
def test_it_critiques_each_kind_of_problem_with_the_ids_it_is_about(breakage, expected):
    critique = LocalScriptWriter().critique(broken(breakage))

    assert expected <= issues(critique)
    assert critique["score"] < 100
    for issue in critique["issues"]:
        assert issue["message"]


def test_it_names_the_character_in_the_message_of_a_character_issue():
    critique = LocalScriptWriter().critique(broken(_never_appears))

    (issue,) = [i for i in critique["issues"] if i["code"] == "character_never_appears"]
    assert "Noor Quinn" in issue["message"]


def test_it_scores_a_major_problem_lower_than_a_minor_one_and_both_below_a_clean_script():
    writer = LocalScriptWriter()
    clean = writer.critique(tidy_script())["score"]
    minor = writer.critique(broken(_monologue))["score"]
    major = writer.critique(broken(_without_dialogue))["score"]
    several = writer.critique(broken(_without_dialogue, _never_appears, _monologue))["score"]

    assert clean > minor > major > several >= 0


def test_it_scores_a_written_script_higher_than_the_same_script_broken():
    writer = LocalScriptWriter()
    script = sized(4, 3, 3)
    damaged = copy.deepcopy(script)
    scenes_of(damaged)[0]["dialogue"] = []
    scenes_of(damaged)[1]["characters"] = []

    assert writer.critique(script)["score"] > writer.critique(damaged)["score"]
    assert {"scene_without_dialogue", "scene_without_characters", "speaker_not_in_scene"} <= {
        i["code"] for i in writer.critique(damaged)["issues"]
    }


@pytest.mark.parametrize(
    ("characters", "episodes", "scenes"),
    [(1, 1, 1), (2, 1, 1), (3, 4, 2), (4, 3, 3), (12, 20, 12)],
)
def test_it_finds_no_major_problem_in_a_script_it_wrote(characters, episodes, scenes):
    assert majors(sized(characters, episodes, scenes)) == []


def test_it_finds_no_problem_at_all_in_a_written_script_with_a_real_cast():
    critique = LocalScriptWriter().critique(sized(4, 3, 3))

    assert critique["issues"] == []
    assert critique["score"] == 100


# ---------------------------------------------------------------- improve
@pytest.mark.parametrize(
    "breakages",
    [
        [_never_appears],
        [_without_dialogue],
        [_without_characters],
        [_never_speaks],
        [_never_appears, _without_dialogue, _without_characters, _never_speaks],
    ],
    ids=["never-appears", "without-dialogue", "without-characters", "never-speaks", "all"],
)
def test_it_improves_away_the_problems_critique_finds(breakages):
    script = broken(*breakages)
    writer = LocalScriptWriter()
    assert writer.critique(script)["issues"]

    improved = writer.improve(script, "Keep it tight.")

    assert majors(improved) == []
    codes = {i["code"] for i in writer.critique(improved)["issues"]}
    assert not codes & {"character_never_appears", "character_never_speaks"}
    assert writer.critique(improved)["score"] > writer.critique(script)["score"]
    normalise_script(copy.deepcopy(improved))


def test_it_brings_on_the_characters_a_too_short_script_left_out():
    script = sized(12, 1, 1)
    assert {i["code"] for i in majors(script)} == {"character_never_appears"}

    improved = LocalScriptWriter().improve(script, "")

    assert majors(improved) == []
    serializer = DramaCreateInput(data=copy.deepcopy(improved))
    assert serializer.is_valid(), serializer.errors


def test_it_keeps_the_ids_of_characters_episodes_and_scenes_when_improving():
    script = broken(_never_appears, _without_dialogue, _without_characters)

    improved = LocalScriptWriter().improve(script, "More tension in the kitchen.")

    assert ids(improved) == ids(script)


def test_it_carries_the_feedback_into_the_logline_and_every_synopsis():
    script = sized(3, 3, 2)

    improved = LocalScriptWriter().improve(script, "  Make the rival kinder.  ")

    assert improved["logline"].startswith(script["logline"])
    assert improved["logline"].endswith("Direction: Make the rival kinder.")
    for before, after in zip(script["episodes"], improved["episodes"], strict=True):
        assert after["synopsis"] == f"{before['synopsis']} Direction: Make the rival kinder."


def test_it_replaces_the_earlier_direction_when_improved_again():
    writer = LocalScriptWriter()
    script = sized(3, 2, 2)

    twice = writer.improve(writer.improve(script, "Darker."), "Funnier.")

    assert twice["logline"] == f"{script['logline']} Direction: Funnier."
    assert "Darker" not in twice["episodes"][0]["synopsis"]


def test_it_replaces_the_earlier_direction_even_when_that_feedback_ran_over_several_lines():
    writer = LocalScriptWriter()
    script = sized(3, 2, 2)

    twice = writer.improve(writer.improve(script, "Darker.\nAnd more rain."), "Funnier.")

    assert "Darker" not in twice["logline"]
    assert twice["logline"].endswith("Direction: Funnier.")


def test_it_changes_only_the_direction_of_a_script_with_nothing_to_fix():
    script = sized(4, 3, 3)

    improved = LocalScriptWriter().improve(script, "Faster pace")

    assert scenes_of(improved) == scenes_of(script)
    assert improved["characters"] == script["characters"]
    assert improved["logline"] != script["logline"]


def test_it_leaves_the_direction_alone_when_the_feedback_is_blank():
    script = broken(_without_dialogue)

    improved = LocalScriptWriter().improve(script, "   ")

    assert improved["logline"] == script["logline"]
    assert [e["synopsis"] for e in improved["episodes"]] == [
        e["synopsis"] for e in script["episodes"]
    ]


def test_it_improves_deterministically_and_without_touching_the_input():
    script = broken(_never_appears, _without_dialogue, _without_characters)
    before = copy.deepcopy(script)

    first = LocalScriptWriter().improve(script, "Raise the stakes.")

    assert script == before
    assert LocalScriptWriter().improve(copy.deepcopy(before), "Raise the stakes.") == first
    assert LocalScriptWriter().improve(copy.deepcopy(before), "Lower the stakes.") != first


# ---------------------------------------------------------------- script_save over a drama
def _saved(user, script: dict) -> Drama:
    return drama_create(owner=user, data=normalise_script(copy.deepcopy(script)))


def _pks(drama: Drama) -> dict[str, dict[str, int]]:
    return {
        "characters": dict(Character.objects.filter(drama=drama).values_list("key", "pk")),
        "episodes": dict(Episode.objects.filter(drama=drama).values_list("key", "pk")),
        "scenes": dict(Scene.objects.filter(drama=drama).values_list("key", "pk")),
    }


def test_it_keeps_the_rows_whose_ids_stay_and_deletes_the_dropped_ones(user):
    drama = _saved(user, sized(3, 2, 2))
    before = _pks(drama)
    smaller = sized(2, 1, 3)  # char_003, ep_02 and its scenes go; sc_01_03 is new

    script_save(drama=drama, script=copy.deepcopy(smaller), expected_version=1)

    after = _pks(drama)
    assert after["characters"] == {k: before["characters"][k] for k in ("char_001", "char_002")}
    assert after["episodes"] == {"ep_01": before["episodes"]["ep_01"]}
    assert set(after["scenes"]) == {"sc_01_01", "sc_01_02", "sc_01_03"}
    for kept in ("sc_01_01", "sc_01_02"):
        assert after["scenes"][kept] == before["scenes"][kept]
    assert not Scene.objects.filter(pk__in=[before["scenes"]["sc_02_01"]]).exists()
    drama.refresh_from_db()
    assert drama.version == 2
    assert script_of(drama) == comparable(smaller)


def test_it_keeps_every_row_when_saving_an_improved_script(user):
    drama = _saved(user, broken(_never_appears))
    before = _pks(drama)
    improved = LocalScriptWriter().improve(script_of(drama), "Sharper dialogue.")

    script_save(drama=drama, script=improved, expected_version=drama.version)

    drama.refresh_from_db()
    assert _pks(drama) == before
    assert drama.version == 2
    assert drama.logline.endswith("Direction: Sharper dialogue.")
    assert Scene.objects.get(drama=drama, key="sc_01_01").characters.count() >= 2
    assert majors(script_of(drama)) == []


def test_it_bumps_the_version_on_every_save(user):
    drama = _saved(user, sized(2, 1, 2))

    for expected in (1, 2, 3):
        script_save(drama=drama, script=sized(2, 1, 2), expected_version=expected)
        assert drama.version == expected + 1

    assert Drama.objects.get(pk=drama.pk).version == 4


def test_it_moves_a_scene_between_kept_episodes_and_keeps_its_row(user):
    drama = _saved(user, tidy_script())
    before = _pks(drama)
    script = tidy_script()
    first, second = script["episodes"]
    first["scenes"][1], second["scenes"][0] = second["scenes"][0], first["scenes"][1]

    script_save(drama=drama, script=script, expected_version=1)

    assert _pks(drama) == before
    moved = Scene.objects.get(drama=drama, key="sc_02_01")
    assert (moved.episode.key, moved.number) == ("ep_01", 2)
    assert script_of(drama) == comparable(normalise_script(script))


@pytest.mark.django_db(transaction=True)  # the foreign keys are checked when the save commits
def test_it_keeps_a_scene_that_moves_out_of_an_episode_that_is_dropped(user):
    drama = _saved(user, tidy_script())
    before = _pks(drama)
    script = tidy_script()
    first, second = script["episodes"]
    first["scenes"].append(second["scenes"][0])  # sc_02_01 joins ep_01; ep_02 goes
    script["episodes"] = [first]

    script_save(drama=drama, script=script, expected_version=1)

    moved = Scene.objects.filter(drama=drama, key="sc_02_01").first()
    assert moved is not None, "the moved scene was deleted with the episode it left"
    assert moved.pk == before["scenes"]["sc_02_01"]
    assert (moved.episode.key, moved.number) == ("ep_01", 3)
    assert script_of(drama) == comparable(normalise_script(script))


def test_it_refuses_a_stale_expected_version_and_changes_nothing(user):
    drama = _saved(user, sized(3, 2, 2))
    script_save(drama=drama, script=sized(3, 2, 2), expected_version=1)  # now version 2
    before, rows = script_of(drama), _pks(drama)

    with pytest.raises(PreconditionFailed):
        script_save(drama=drama, script=sized(2, 1, 1, genre="romance"), expected_version=1)

    drama = Drama.objects.get(pk=drama.pk)
    assert drama.version == 2
    assert script_of(drama) == before
    assert _pks(drama) == rows


def test_it_refuses_a_script_with_an_unknown_character_and_changes_nothing(user):
    drama = _saved(user, tidy_script())
    before = script_of(drama)
    script = tidy_script()
    script["episodes"][0]["scenes"][0]["characters"].append("char_999")

    with pytest.raises(InvalidInput, match="char_999"):
        script_save(drama=drama, script=script, expected_version=None)

    drama = Drama.objects.get(pk=drama.pk)
    assert drama.version == 1
    assert script_of(drama) == before
