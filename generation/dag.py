"""The generation DAG of a drama, read from its rows: which media to make, from what, and what
is already made.

| node           | made by                       | waits for                          | level |
| portrait       | image provider                | —                                  | 1     |
| dialogue_audio | speech provider, the voice    | —                                  | 1     |
| music          | the library, or offline       | —                                  | 1     |
| audition       | video provider                | the character's portrait           | 2     |
| storyboard     | image provider                | the portraits of the scene's cast  | 2     |
| clip           | video provider                | the scene's storyboard; its lines' | 3     |
|                |                               | audio, for its length              |       |
| episode_cut    | assembly (ffmpeg)             | the episode's clips, lines, music  | 4     |

Each node has an input fingerprint: provider, model, prompt, parameters and the fingerprints
of its inputs. A node whose current asset carries that fingerprint (or is an upload put in its
place) and is not rejected is satisfied: making it again would pay for the same asset twice.
A clip with dialogue is first rendered as long as its lines are spoken, but its fingerprint
holds neither their audio nor that length: a line voiced again re-renders no clip, and the cut
holds the clip's last frame where the speech now runs longer.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch, Q

from assets.models import Asset
from dramas.models import Character, DialogueLine, Drama, Episode, Scene
from dramas.voices import choose_voice, voice_named
from generation import assembly
from generation.models import Job
from generation.providers.base import ProviderError, Usage, VideoRequest, Voice
from generation.providers.pricing import estimate_cost, estimate_node_cost
from generation.providers.registry import configured_models

N = Job.Node
LEVEL = {N.PORTRAIT: 1, N.DIALOGUE_AUDIO: 1, N.MUSIC: 1, N.AUDITION: 2, N.STORYBOARD: 2,
         N.CLIP: 3, N.EPISODE_CUT: 4}  # fmt: skip
PROVIDER_KIND = {N.PORTRAIT: "image", N.STORYBOARD: "image", N.AUDITION: "video",
                 N.CLIP: "video", N.DIALOGUE_AUDIO: "speech", N.MUSIC: "music",
                 N.EPISODE_CUT: "assembly"}  # fmt: skip
JOB_KIND = {"image": Job.Kind.IMAGE, "video": Job.Kind.VIDEO, "speech": Job.Kind.SPEECH,
            "music": Job.Kind.MUSIC, "assembly": Job.Kind.ASSEMBLY}  # fmt: skip
TARGET = {N.PORTRAIT: "character", N.AUDITION: "character", N.STORYBOARD: "scene",
          N.CLIP: "scene", N.DIALOGUE_AUDIO: "line", N.MUSIC: "episode",
          N.EPISODE_CUT: "episode"}  # fmt: skip
# Words a client may use for `kinds`: node names, or the kinds of provider behind them.
KIND_WORDS = {
    **{n.value: {n.value} for n in N},
    "image": {N.PORTRAIT.value, N.STORYBOARD.value},
    "video": {N.AUDITION.value, N.CLIP.value},
    "speech": {N.DIALOGUE_AUDIO.value},
    "audio": {N.DIALOGUE_AUDIO.value, N.MUSIC.value},
    "assembly": {N.EPISODE_CUT.value},
}
ASSEMBLY = ("ffmpeg", "episode-cut-2")
LOUDNESS = -14.0  # LUFS integrated, as vertical-video platforms play it
MUSIC_MODEL = "offline-music-1"
LIBRARY_MUSIC = "library"
# A music bed is this long and loops under a longer episode.
MUSIC_SECONDS = 40
AUDITION_SECONDS = 5
# Rough seconds of work of a node, used only to order the nodes waiting for a slot: an image,
# a render (several times as long as the clip it makes), a spoken line, an episode cut.
IMAGE_SECONDS = 10
RENDER_SECONDS_PER_CLIP_SECOND = 6
SPEECH_SECONDS = 2
MUSIC_WORK_SECONDS = 2
CUT_SECONDS = 5
# The clip lengths each video service renders (Gemini Omni 3-10 s; a gateway's models round up
# to their own lengths, within these).
CLIP_SECONDS = {"local": (1, 60), "gemini": (3, 10), "gateway": (4, 12)}
# Before a line is voiced its length is guessed from its words, as speech runs.
WORDS_PER_SECOND = 2.6
LINE_KEY = re.compile(r"^(?P<scene>.+)#(?P<n>\d{1,3})$")


def line_key(scene_key: str, n: int) -> str:
    """A dialogue line's key in the DAG: its scene's and its place there (`sc_01_02#3`)."""
    return f"{scene_key}#{n}"


def scene_of_line(key: str) -> str | None:
    match = LINE_KEY.match(key)
    return match["scene"] if match else None


def voice_of(c: Character) -> Voice:
    """The character's voice as the speech providers take it; a character saved without one
    (the admin allows it) is heard in the voice that fits them best, the same every time."""
    spec = voice_named(c.voice) or voice_named(
        choose_voice(name=c.name, role=c.role, description=c.description, appearance=c.appearance)
    )
    return Voice(name=spec.name, gender=spec.gender, age=spec.age, number=spec.number)


def guessed_seconds(text: str) -> float:
    return round(max(0.6, len(text.split()) / WORDS_PER_SECOND), 3)


def clip_seconds(video_provider: str, line_seconds: list[float], fallback: int) -> int:
    """A scene's clip lasts as long as its spoken lines (with their pauses), in whole seconds
    within what the video service renders; a scene with no lines keeps its target length."""
    low, high = CLIP_SECONDS.get(video_provider, (1, 60))
    if not line_seconds:
        return max(low, min(high, fallback))
    return max(low, min(high, math.ceil(assembly.spoken_length(line_seconds) - 1e-6)))


Key = tuple[str, str]  # (node, target key), e.g. ("portrait", "char_001")


class PlanError(Exception):
    """The scope or the options name something the drama does not have."""


@dataclass
class Node:
    node: str
    target_key: str
    entity: Character | Scene | Episode
    inputs: list[Key]
    prompt: str
    parameters: dict
    provider: str  # the concurrency pool: `image:local`
    model: str
    current: Asset | None = None
    fingerprint: str = ""
    satisfied: bool = False
    estimate_usd: float | None = None
    # What the provider needs beyond the prompt: names, location, dialogue (local draws them).
    context: dict = field(default_factory=dict)
    # The inputs whose fingerprints make this node's (all of them unless said): a clip waits
    # for its lines' audio to know its length, but is not made from it.
    made_from: list[Key] | None = None

    @property
    def key(self) -> Key:
        return (self.node, self.target_key)

    @property
    def level(self) -> int:
        return LEVEL[self.node]

    @property
    def kind(self) -> str:
        return PROVIDER_KIND[self.node]

    @property
    def target_type(self) -> str:
        return TARGET[self.node]

    @property
    def estimated_seconds(self) -> int:
        if self.kind == "image":
            return IMAGE_SECONDS
        if self.kind == "video":
            return RENDER_SECONDS_PER_CLIP_SECOND * int(self.parameters["durationSeconds"])
        if self.kind == "speech":
            return SPEECH_SECONDS
        if self.kind == "music":
            return MUSIC_WORK_SECONDS
        return CUT_SECONDS

    @property
    def output_fingerprint(self) -> str:
        """What a dependant sees of this node: its asset's if satisfied, else what it will be."""
        if self.satisfied and self.current is not None:
            return self.current.fingerprint or self.fingerprint
        return self.fingerprint


def fingerprint_of(
    *, node: str, provider: str, model: str, prompt: str, parameters: dict, inputs: list[str]
) -> str:
    payload = [node, provider, model, prompt, parameters, inputs]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def is_upload(asset: Asset | None) -> bool:
    return asset is not None and asset.metadata.get("source") == "upload"


def satisfies(asset: Asset | None, fingerprint: str) -> bool:
    """A current asset that makes a provider call unnecessary."""
    if asset is None or asset.review_status == Asset.Review.REJECTED:
        return False
    return is_upload(asset) or asset.fingerprint == fingerprint


def _edited_prompt(asset: Asset | None, default: str) -> str:
    # A prompt edited on the asset is what the node makes from now on (and its versions).
    if asset is not None and asset.metadata.get("promptEdited"):
        return asset.prompt
    return default


# ---------------------------------------------------------------- reading the rows
def drama_graph(
    drama: Drama,
    *,
    scenes: set[str] | None = None,
    characters: set[str] | None = None,
    music: bool = True,
) -> dict[Key, Node]:
    """Every node of the drama in a valid order (inputs first), with fingerprints computed.

    With `scenes`, only the nodes of these scenes (and the cuts of their episodes, which are
    then incomplete) and of the characters in them, or with `characters` of these: enough to
    compute one node when it runs. A fixed number of queries, and of rows read, whatever the
    drama's size. Without `music`, the episodes' music beds are left out (and the library is
    not read): a scene's node does not need them.
    """
    models = configured_models()
    image_provider, image_model = models["image"]
    video_provider, video_model = models["video"]
    ratio = settings.DEFAULT_ASPECT_RATIO
    cast_rows = Character.objects.filter(drama=drama).order_by("order", "id")
    if characters is not None:
        cast_rows = cast_rows.filter(key__in=characters)
    elif scenes is not None:
        in_scenes = Scene.characters.through.objects.filter(
            scene__drama=drama, scene__key__in=scenes
        )
        cast_rows = cast_rows.filter(pk__in=in_scenes.values("character_id"))
    characters = list(cast_rows)
    scene_rows = Scene.objects.order_by("number", "id")
    episode_rows = Episode.objects.filter(drama=drama).order_by("number", "id")
    assets = Asset.objects.filter(drama=drama, is_current=True)
    if scenes is not None:
        scene_rows = scene_rows.filter(key__in=scenes)
        episode_rows = episode_rows.filter(scenes__drama=drama, scenes__key__in=scenes).distinct()
        assets = assets.filter(
            Q(character__in=[c.pk for c in characters])
            | Q(scene__key__in=scenes)
            | Q(episode__in=episode_rows.values("pk"))
        )
    episodes = list(
        episode_rows.prefetch_related(
            Prefetch(
                "scenes",
                queryset=scene_rows.prefetch_related(
                    Prefetch("characters", queryset=Character.objects.only("id", "key")),
                    Prefetch("dialogue", queryset=DialogueLine.objects.select_related("character")),
                ),
            )
        )
    )
    current = {a.slot: a for a in assets}

    def slot(entity, node: str) -> Asset | None:
        return current.get(f"{entity._meta.model_name}:{entity.pk}:{node}")

    nodes: list[Node] = []
    for c in characters:
        portrait = slot(c, N.PORTRAIT)
        nodes.append(Node(
            node=N.PORTRAIT, target_key=c.key, entity=c, inputs=[],
            prompt=_edited_prompt(portrait, portrait_prompt(c)),
            parameters={"aspectRatio": ratio}, provider=f"image:{image_provider}",
            model=image_model, current=portrait,
            context={"id": c.key, "name": c.name, "role": c.role,
                     "appearance": c.appearance},
        ))  # fmt: skip
        audition = slot(c, N.AUDITION)
        nodes.append(Node(
            node=N.AUDITION, target_key=c.key, entity=c, inputs=[(N.PORTRAIT, c.key)],
            prompt=_edited_prompt(audition, audition_prompt(c)),
            parameters={"aspectRatio": ratio, "durationSeconds": AUDITION_SECONDS},
            provider=f"video:{video_provider}", model=video_model, current=audition,
            context={"dialogue": [{"speaker": c.name, "line": f"I am {c.name}."}]},
        ))  # fmt: skip
    speech_provider, speech_model = models["speech"]
    library = library_music(drama) if episodes and music else []
    for e in episodes:
        clips, lines = [], []
        for s in e.scenes.all():
            cast = [ch.key for ch in s.characters.all()]
            spoken = list(s.dialogue.all())
            dialogue = [{"speaker": d.character.name, "line": d.line} for d in spoken]
            names = {ch.key: ch.name for ch in characters}
            people = [{"id": k, "name": names.get(k, k)} for k in cast]
            storyboard = slot(s, N.STORYBOARD)
            nodes.append(Node(
                node=N.STORYBOARD, target_key=s.key, entity=s,
                inputs=[(N.PORTRAIT, k) for k in cast],
                prompt=_edited_prompt(storyboard, scene_prompt(s)),
                parameters={"aspectRatio": ratio}, provider=f"image:{image_provider}",
                model=image_model, current=storyboard,
                context={"title": s.title, "location": s.location,
                         "time_of_day": s.time_of_day, "characters": people,
                         "action": s.description},
            ))  # fmt: skip
            voiced = []
            for n, d in enumerate(spoken):
                key = line_key(s.key, n)
                voice = voice_of(d.character)
                nodes.append(Node(
                    node=N.DIALOGUE_AUDIO, target_key=key, entity=s, inputs=[],
                    prompt=d.line, parameters={"voice": voice.name, "part": str(n)},
                    provider=f"speech:{speech_provider}", model=speech_model,
                    current=current.get(f"scene:{s.pk}:{N.DIALOGUE_AUDIO}:{n}"),
                    context={"speaker": d.character.name, "character": d.character.key,
                             "voice": voice, "scene": s.key, "line": n},
                ))  # fmt: skip
                voiced.append((N.DIALOGUE_AUDIO, key))
            lines += voiced
            clip = slot(s, N.CLIP)
            fallback = s.target_duration or settings.DEFAULT_VIDEO_DURATION
            nodes.append(Node(
                node=N.CLIP, target_key=s.key, entity=s,
                inputs=[(N.STORYBOARD, s.key), *voiced], made_from=[(N.STORYBOARD, s.key)],
                prompt=_edited_prompt(clip, clip_prompt(s)),
                # The length follows the lines once their audio is known (see `seconds`).
                parameters={"aspectRatio": ratio, "durationSeconds": fallback},
                provider=f"video:{video_provider}", model=video_model, current=clip,
                context={"dialogue": dialogue, "fallbackSeconds": fallback},
            ))  # fmt: skip
            clips.append((N.CLIP, s.key))
        if clips and music:
            track = pick_music(library, genre=drama.genre, tone=drama.tone)
            nodes.append(Node(
                node=N.MUSIC, target_key=e.key, entity=e, inputs=[],
                prompt=f"Music bed for {drama.genre or 'drama'}, {drama.tone or 'neutral'}",
                parameters={"genre": drama.genre, "tone": drama.tone,
                            "seconds": MUSIC_SECONDS,
                            "library": track.public_id if track else ""},
                provider="music:local", model=LIBRARY_MUSIC if track else MUSIC_MODEL,
                current=slot(e, N.MUSIC), context={"track": track},
            ))  # fmt: skip
            nodes.append(Node(
                node=N.EPISODE_CUT, target_key=e.key, entity=e,
                inputs=[*clips, *lines, (N.MUSIC, e.key)],
                prompt=episode_name(e),
                parameters={"scenes": len(clips), "lines": len(lines), "loudness": LOUDNESS},
                provider=f"assembly:{ASSEMBLY[0]}", model=ASSEMBLY[1],
                current=slot(e, N.EPISODE_CUT),
            ))  # fmt: skip
    graph = {n.key: n for n in nodes}
    for n in nodes:  # inputs always come earlier in `nodes`
        if n.node == N.CLIP:
            seconds = [line_seconds(graph[k]) for k in n.inputs if k[0] == N.DIALOGUE_AUDIO]
            n.parameters["durationSeconds"] = clip_seconds(
                video_provider, seconds, n.context["fallbackSeconds"]
            )
        made_from = n.inputs if n.made_from is None else n.made_from
        n.fingerprint = fingerprint_of(
            node=n.node, provider=n.provider, model=n.model, prompt=n.prompt,
            parameters=fingerprinted(n),
            inputs=[graph[k].output_fingerprint for k in made_from if k in graph],
        )  # fmt: skip
        n.satisfied = satisfies(n.current, n.fingerprint)
        n.estimate_usd = estimate(n)
    return graph


# Gemini counts 32 tokens a second of audio; a text token is about four characters.
AUDIO_TOKENS_PER_SECOND = 32


def estimate_speech_cost(model: str, text: str) -> float | None:
    seconds = guessed_seconds(text)
    usage = Usage(
        input_tokens=max(1, len(text) // 4),
        characters=len(text),
        output_tokens=round(seconds * AUDIO_TOKENS_PER_SECOND),
        audio_seconds=seconds,
    )
    return estimate_cost(model, usage)  # fmt: skip


def fingerprinted(n: Node) -> dict:
    """The parameters that make the node what it is. A clip with dialogue is rendered as long
    as its lines are when it is first made; it is not rendered again when a line is voiced
    anew at another length (the cut holds its last frame, or plays on past its lines), so a
    line's edit costs one line and one cut. A clip without dialogue is its scene's length."""
    if n.node == N.CLIP and any(k[0] == N.DIALOGUE_AUDIO for k in n.inputs):
        return {**{k: v for k, v in n.parameters.items() if k != "durationSeconds"},
                "length": "spoken"}  # fmt: skip
    return n.parameters


def line_seconds(n: Node) -> float:
    """A line's spoken length: its audio's, once voiced; else guessed from its words."""
    if n.satisfied and n.current is not None:
        seconds = n.current.metadata.get("durationSeconds")
        if isinstance(seconds, int | float) and seconds > 0:
            return float(seconds)
    return guessed_seconds(n.prompt)


def library_music(drama: Drama) -> list[Asset]:
    """The owner's music: audio uploads whose tags say `music` (the genre and tone as tags
    too), newest first."""
    rows = Asset.objects.filter(
        owner_id=drama.owner_id, kind=Asset.Kind.UPLOAD, media_type=Asset.MediaType.AUDIO,
        tag__icontains="music",
    ).exclude(review_status=Asset.Review.REJECTED).order_by("-created_at", "-id")  # fmt: skip
    return [a for a in rows[:200] if "music" in tag_words(a.tag)]


def tag_words(tag: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", tag.lower()))


def pick_music(library: list[Asset], *, genre: str, tone: str) -> Asset | None:
    """The track whose tags name the most of the drama's genre and tone (the newest of equals);
    a track that names neither is still a music bed, if there is nothing better."""
    wanted = tag_words(genre) | tag_words(tone)
    best, best_score = None, -1
    for track in library:
        score = len(wanted & tag_words(track.tag))
        if score > best_score:
            best, best_score = track, score
    return best


def episode_name(e: Episode) -> str:
    """`Episode 2: Dirty Money`, whether or not the title already says which episode it is."""
    title = e.title.strip()
    if re.match(rf"episode\s+{e.number}\b", title, flags=re.IGNORECASE):
        return title
    return f"Episode {e.number}: {title}" if title else f"Episode {e.number}"


def portrait_prompt(c: Character) -> str:
    role = f", {c.role}" if c.role else ""
    look = f" {c.appearance.strip()}" if c.appearance.strip() else ""
    return f"Character portrait of {c.name}{role}.{look} Vertical 9:16, head and shoulders."


def audition_prompt(c: Character) -> str:
    about = f" {c.description.strip()}" if c.description.strip() else ""
    return f"{c.name} turns to the camera and introduces themself.{about}"


def scene_prompt(s: Scene) -> str:
    if s.visual_prompt.strip():
        return s.visual_prompt.strip()
    where = ", ".join(p for p in (s.location, s.time_of_day) if p)
    return f"{s.title}. {where}. {s.description}".strip()


def clip_prompt(s: Scene) -> str:
    return f"{scene_prompt(s)} The scene plays out: {s.description}".strip()


def estimate(n: Node) -> float | None:
    """What the node would cost, priced as the provider will bill it (a gateway by size)."""
    if n.kind == "image":
        return estimate_node_cost(n.model, images=1)
    if n.kind == "video":
        return estimate_node_cost(
            n.model, video_seconds=n.parameters["durationSeconds"], size=_render_size(n)
        )
    if n.kind == "speech":
        return estimate_speech_cost(n.model, n.prompt)
    return 0.0


def _render_size(n: Node) -> str:
    if not n.provider.endswith(":gateway"):
        return ""
    # Only a gateway prices by size; its module (and SDK) is loaded only when one is used.
    from generation.providers.videos import map_size

    try:
        return map_size(n.model, n.parameters["aspectRatio"], VideoRequest.resolution)
    except ProviderError:
        return ""  # a size the gateway refuses: the node will fail, not bill


# ---------------------------------------------------------------- planning a run
@dataclass
class Plan:
    to_make: list[Node]
    satisfied: list[Node]
    # Edges among the nodes to make: inputs outside the run are satisfied already.
    edges: dict[Key, list[Key]]
    # Each node's estimated seconds of work on the longest chain from it to the run's end.
    priority: dict[Key, int] = field(default_factory=dict)
    # Nodes made again although satisfied (a regenerate), and what depends on them.
    remade: set[Key] = field(default_factory=set)

    def cost_by_provider(self) -> dict[str, float | None]:
        costs: dict[str, float | None] = {}
        for n in self.to_make:
            name = n.provider
            if n.estimate_usd is None or costs.get(name, 0.0) is None:
                costs[name] = None
            else:
                costs[name] = round(costs.get(name, 0.0) + n.estimate_usd, 6)
        return costs

    def total_cost(self) -> float | None:
        costs = list(self.cost_by_provider().values())
        return None if None in costs else round(sum(costs), 6)


def scope_roots(graph: dict[Key, Node], *, scope: str, key: str | None, drama: Drama) -> list[Key]:
    """The nodes a scope asks for: all, an episode's, a character's or a scene's."""
    if scope == "drama":
        return list(graph)
    if scope == "character":
        return [k for k in graph if k[1] == key and k[0] in (N.PORTRAIT, N.AUDITION)]
    if scope == "scene":
        return [k for k in graph if (k[1] == key and k[0] in (N.STORYBOARD, N.CLIP))
                or (k[0] == N.DIALOGUE_AUDIO and scene_of_line(k[1]) == key)]  # fmt: skip
    if scope == "episode":
        scenes = set(
            Scene.objects.filter(drama=drama, episode__key=key).values_list("key", flat=True)
        )
        return [k for k in graph if (k[0] in (N.STORYBOARD, N.CLIP) and k[1] in scenes)
                or (k[0] == N.DIALOGUE_AUDIO and scene_of_line(k[1]) in scenes)
                or k in ((N.MUSIC, key), (N.EPISODE_CUT, key))]  # fmt: skip
    raise PlanError(f"unknown scope {scope!r}")


def expand_kinds(kinds: list[str] | None) -> set[str] | None:
    if not kinds:
        return None
    chosen: set[str] = set()
    for word in kinds:
        if word not in KIND_WORDS:
            raise PlanError(f"unknown kind {word!r}; use one of {', '.join(sorted(KIND_WORDS))}")
        chosen |= KIND_WORDS[word]
    return chosen


def plan(
    drama: Drama,
    *,
    scope: str = "drama",
    key: str | None = None,
    kinds: list[str] | None = None,
    force: bool = False,
    remake: set[Key] | None = None,
) -> Plan:
    """The nodes a run makes: the scope's (of the chosen kinds) that are not satisfied, or all
    of them with `force`, plus whatever they wait for that is not made yet. The nodes in
    `remake` and everything that depends on them are made again, satisfied or not."""
    graph = drama_graph(drama)
    remade = (set(remake) | dependants_of(graph, set(remake))) if remake else set()
    for k in remade:
        graph[k].satisfied = False
    chosen = expand_kinds(kinds)
    roots = [k for k in scope_roots(graph, scope=scope, key=key, drama=drama)
             if chosen is None or k[0] in chosen]  # fmt: skip
    make: set[Key] = set()
    pending = [k for k in roots if force or not graph[k].satisfied]
    satisfied = [graph[k] for k in roots if k not in pending]
    while pending:
        k = pending.pop()
        if k in make:
            continue
        make.add(k)
        pending.extend(i for i in graph[k].inputs if i in graph and not graph[i].satisfied)
    ordered = [n for k, n in graph.items() if k in make]
    edges = {n.key: [i for i in n.inputs if i in make] for n in ordered}
    return Plan(to_make=ordered, satisfied=satisfied, edges=edges, priority=chains(ordered, edges),
                remade=remade)  # fmt: skip


def dependants_of(graph: dict[Key, Node], keys: set[Key]) -> set[Key]:
    """Every node that waits, directly or not, on one of `keys`."""
    found: set[Key] = set()
    frontier = set(keys)
    while frontier:
        frontier = {n.key for n in graph.values() if frontier & set(n.inputs)} - found
        found |= frontier
    return found


def chains(ordered: list[Node], edges: dict[Key, list[Key]]) -> dict[Key, int]:
    """The seconds of work on the longest chain from each node to the end (its upward rank):
    a portrait that unlocks storyboards, clips and a cut outranks an audition, which outranks
    a one-second clip."""
    behind: dict[Key, int] = {}
    dependants: dict[Key, list[Key]] = {}
    for k, inputs in edges.items():
        for i in inputs:
            dependants.setdefault(i, []).append(k)
    for n in reversed(ordered):  # dependants come after their inputs
        after = max((behind[d] for d in dependants.get(n.key, [])), default=0)
        behind[n.key] = n.estimated_seconds + after
    return behind
