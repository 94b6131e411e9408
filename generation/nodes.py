"""What each node of a run does when a worker takes it: make its asset, or find it made.

- images (portrait, storyboard): one call to the image provider, inputs as reference images;
- dialogue audio: one call to the speech provider, in the character's voice;
- music: the library's track that fits the drama, copied in as the episode's, or a bed made
  offline (a placeholder);
- video (audition, clip): submit the render, then let go; short poll tasks follow at the
  service's suggested interval until it is done, then the video is downloaded;
- episode cut: the episode's clips, lines and music mixed with ffmpeg, the subtitles burned in,
  stored with its WebVTT subtitles and its OpenTimelineIO export beside it.

A submit whose outcome is unknown is never sent again automatically: the node looks for the
render on the service, and fails with a clear error if it is not there.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings

from assets import detect
from assets.models import Asset
from assets.services import AssetContent, asset_store
from dramas.models import Scene
from generation import assembly, dag, timeline
from generation.models import Job
from generation.providers.base import (
    ImageRequest,
    ProviderError,
    ReferenceImage,
    SpeechRequest,
    VideoRequest,
)
from generation.providers.local.music import LocalMusicProvider
from generation.providers.registry import image_provider, speech_provider, video_provider
from generation.services import (
    job_fail,
    job_finish,
    job_record_calls,
    job_requeue,
    job_save_metadata,
    job_unclaim,
    job_wait_for_render,
)
from generation.slots import slot_acquire

# The episode cut's frame rate, and its editorial export's.
CUT_FPS = 24
UNKNOWN_SUBMIT = (
    "submit outcome unknown — retrying may bill again: the render request was sent but no "
    "answer came back, and the render could not be found on the service. Check the service's "
    "console; retry this node only if the render is not there."
)


def node_now(job: Job) -> tuple[dag.Node | None, dict]:
    """The node as the drama's rows and current assets describe it now."""
    if job.target_type == "character":
        graph = dag.drama_graph(job.drama, scenes=set(), characters={job.target_key})
        return graph.get((job.node, job.target_key)), graph
    if job.target_type == "scene":
        scenes: set[str] = {job.target_key}
    elif job.target_type == "line":
        scenes = {dag.scene_of_line(job.target_key) or ""}
    else:
        scenes = set(
            Scene.objects.filter(drama_id=job.drama_id, episode__key=job.target_key).values_list(
                "key", flat=True
            )
        )
    # Only an episode's nodes need its music bed (and the library it may come from).
    music = job.target_type == "episode"
    graph = dag.drama_graph(job.drama, scenes=scenes, music=music)
    return graph.get((job.node, job.target_key)), graph


def run_node(*, job: Job) -> str:
    started = time.monotonic()
    node, graph = node_now(job)
    # Reading the drama for the node's prompt and inputs: the node's own preparation, which
    # the DAG benchmark reports apart from the scheduling around it.
    add_time(job, "prepareSeconds", time.monotonic() - started)
    if node is None:
        return job_fail(
            job=job, error=f"the {job.target_type} {job.target_key} is no longer in the drama"
        )
    in_flight = job.render is not None or "submitting" in job.metadata
    if node.satisfied and not job.metadata.get("force") and not in_flight:
        # Made already (an earlier run, a resumed one, an upload): no provider call.
        return _finish(job, node.current, satisfied=True)
    missing = [k for k in node.inputs if k in graph and graph[k].current is None]
    if missing:
        return job_fail(job=job, error=f"its input {missing[0][0]} of {missing[0][1]} has no asset")
    if not slot_acquire(job=job):
        job_unclaim(job=job)
        return "waiting for a provider slot"
    job.fingerprint = node.fingerprint
    if node.kind == "image":
        return _make_image(job, node, graph)
    if node.kind == "video":
        return _make_video(job, node, graph)
    if node.kind == "speech":
        return _make_speech(job, node)
    if node.kind == "music":
        return _make_music(job, node)
    return _make_cut(job, node, graph)


# ---------------------------------------------------------------- finishing a node
def _finish(job: Job, asset: Asset | None, *, satisfied: bool = False) -> str:
    def link() -> dict:
        job.asset = asset
        return {"assetId": asset.public_id if asset else None, "satisfied": satisfied}

    done = job_finish(job=job, status=Job.Status.COMPLETED, apply=link)
    return Job.Status.COMPLETED if done else "lease lost"


def _store(job: Job, node: dag.Node, *, data: bytes, provider: str, model: str, extra: dict,
           beside: Callable[[Asset], Iterable[tuple[str, bytes, dict]]] | None = None):  # fmt: skip
    """Stores the made asset as the entity's current version, in the finishing transaction,
    with the assets `beside` makes from it (kind, bytes, metadata: a cut's subtitles and its
    timeline)."""
    try:
        found = detect.sniff(data)
    except detect.UnsupportedFile as exc:
        return job_fail(job=job, error=f"{provider} returned a file that is not media ({exc})")
    drama = job.drama
    edited = node.current is not None and node.current.metadata.get("promptEdited")
    content = AssetContent(
        data=data,
        content_type=found.content_type,
        ext=found.ext,
        media_type=found.media_type,
        kind=node.node,
        prompt=node.prompt,
        provider=provider,
        model=model,
        parameters=node.parameters,
        fingerprint=node.fingerprint,
        metadata={"source": "generated", "jobId": job.public_id, "prompt": node.prompt,
                  **({"promptEdited": True} if edited else {}), **extra},
        part=node.parameters.get("part", ""),
    )  # fmt: skip

    def store() -> dict:
        started = time.monotonic()
        asset = asset_store(owner=drama.owner, project=drama.public_id, content=content,
                            entity=node.entity, job=job)  # fmt: skip
        made = {}
        for kind, more, metadata in beside(asset) if beside else ():
            kept = detect.sniff(more)
            side = asset_store(
                owner=drama.owner, project=drama.public_id, entity=node.entity, job=job,
                content=AssetContent(
                    data=more, content_type=kept.content_type, ext=kept.ext,
                    media_type=kept.media_type, kind=kind, prompt=node.prompt,
                    provider=provider, model=model, fingerprint=node.fingerprint,
                    metadata={"source": "generated", "jobId": job.public_id,
                              "madeWith": asset.public_id, **metadata},
                ),
            )  # fmt: skip
            made[kind] = side.public_id
        add_time(job, "storeSeconds", time.monotonic() - started)
        job.asset, job.fingerprint = asset, node.fingerprint
        return {"assetId": asset.public_id, "version": asset.version,
                **({"beside": made} if made else {})}  # fmt: skip

    done = job_finish(job=job, status=Job.Status.COMPLETED, apply=store)
    return Job.Status.COMPLETED if done else "lease lost"


def add_time(job: Job, name: str, seconds: float) -> None:
    """Time spent on the node's own work (preparing it, storing, assembling), kept on it."""
    timing = job.metadata.setdefault("timing", {})
    timing[name] = round(timing.get(name, 0.0) + seconds, 6)


def _read(asset: Asset) -> bytes:
    with asset.file.open("rb") as handle:
        return handle.read()


def _references(node: dag.Node, graph: dict) -> tuple[ReferenceImage, ...]:
    images = [graph[k].current for k in node.inputs if k in graph and graph[k].kind == "image"]
    return tuple(ReferenceImage(data=_read(a), mime_type=a.content_type) for a in images if a)


# ---------------------------------------------------------------- images
def _make_image(job: Job, node: dag.Node, graph: dict) -> str:
    provider = image_provider()
    request = ImageRequest(
        prompt=node.prompt,
        kind=node.node,
        references=_references(node, graph),
        aspect_ratio=node.parameters["aspectRatio"],
        context=node.context,
    )
    try:
        result = provider.generate(request)
    finally:
        # Written with the finishing (or the failure) that follows.
        job_record_calls(job=job, calls=provider.calls, save=False)
    return _store(job, node, data=result.data, provider=provider.name, model=result.model,
                  extra=result.metadata)  # fmt: skip


# ---------------------------------------------------------------- video
def _make_video(job: Job, node: dag.Node, graph: dict) -> str:
    handle = job.render
    provider = video_provider(handle.get("provider") if handle else None)
    try:
        if handle is None:
            handle = _submit(job, provider, _video_request(node, graph))
            if handle is None:
                return Job.Status.FAILED
        return _poll(job, node, provider, handle)
    finally:
        job_record_calls(job=job, calls=provider.calls)


def _video_request(node: dag.Node, graph: dict) -> VideoRequest:
    references = _references(node, graph)
    return VideoRequest(
        prompt=node.prompt,
        duration_seconds=node.parameters["durationSeconds"],
        aspect_ratio=node.parameters["aspectRatio"],
        reference=references[0] if references else None,
        context=node.context,
    )


def _submit(job: Job, provider, request: VideoRequest) -> dict | None:
    """Starts the render once; returns its handle, or None when the node has failed."""
    since = job.metadata.get("submitting")
    if since is None:
        # Written before the request goes out: a worker that dies in the middle leaves this
        # mark, and whoever takes the node over looks for the render instead of sending again.
        job.metadata["submitting"] = time.time()
        if not job_save_metadata(job=job):
            return None
        try:
            handle = provider.submit(request)
            # Written with the render's handle, just below.
            job_record_calls(job=job, calls=provider.calls, save=False)
        except ProviderError as exc:
            if not exc.outcome_unknown:
                job.metadata.pop("submitting", None)
                job_save_metadata(job=job)
                raise
            handle = _find(provider, request, since=job.metadata["submitting"])
    else:
        handle = _find(provider, request, since=since)
        if handle is None and getattr(provider, "find_is_complete", False):
            # The service shows every render there is: this one was never made.
            job.metadata.pop("submitting", None)
            return _submit(job, provider, request)
    if handle is None:
        job_fail(job=job, error=UNKNOWN_SUBMIT)
        return None
    job.metadata.pop("submitting", None)
    job.metadata["render"] = handle
    job.metadata["submittedAt"] = time.time()
    job.provider_job_id = str(handle.get("id", ""))[:200] or "submitted"
    # Kept on the row before anything else can go wrong; the first poll follows at once.
    if not job_save_metadata(job=job):
        return None
    return handle


def _find(provider, request: VideoRequest, *, since: float) -> dict | None:
    find = getattr(provider, "find", None)
    if find is None:
        return None
    return find(request, since=since)


def _poll(job: Job, node: dag.Node, provider, handle: dict) -> str:
    status = provider.poll(handle)
    job_record_calls(job=job, calls=provider.calls, save=False)
    if status.state in ("queued", "running"):
        job.metadata["renderProgress"] = status.progress
        wait = status.poll_after if status.poll_after is not None else settings.VIDEO_POLL_SECONDS
        job_wait_for_render(job=job, poll_in=wait)
        return "rendering"
    if status.state == "failed":
        job.metadata.pop("render", None)
        job.provider_job_id = ""
        job_save_metadata(job=job)
        error = f"the render failed at the service: {status.error or 'no reason given'}"
        if status.retryable and job.attempts < job.max_attempts:
            job_requeue(job=job, error=error)
            return Job.Status.QUEUED
        return job_fail(job=job, error=error)
    result = provider.download(handle)
    job_record_calls(job=job, calls=provider.calls, save=False)
    extra = {**result.metadata, "durationSeconds": result.duration_seconds}
    return _store(job, node, data=result.data, provider=provider.name, model=result.model,
                  extra=extra)  # fmt: skip


# ---------------------------------------------------------------- speech and music
def _make_speech(job: Job, node: dag.Node) -> str:
    provider = speech_provider()
    request = SpeechRequest(text=node.prompt, voice=node.context["voice"])
    try:
        result = provider.synthesize(request)
    finally:
        job_record_calls(job=job, calls=provider.calls, save=False)
    extra = {**result.metadata, "durationSeconds": round(result.duration_seconds, 3),
             "voice": node.parameters["voice"], "serviceVoice": result.voice,
             "speaker": node.context["speaker"], "character": node.context["character"],
             "line": node.context["line"]}  # fmt: skip
    return _store(job, node, data=result.data, provider=provider.name, model=result.model,
                  extra=extra)  # fmt: skip


def _make_music(job: Job, node: dag.Node) -> str:
    track = node.context.get("track")
    if track is not None:
        # The library's track becomes the episode's music: copied, so the episode keeps it
        # whatever happens to the upload; its length is the one ffmpeg read at the upload.
        extra = {"libraryAssetId": track.public_id, "title": track.filename or track.public_id,
                 "tag": track.tag, "durationSeconds": seconds_of(track)}  # fmt: skip
        return _store(job, node, data=_read(track), provider="library",
                      model=dag.LIBRARY_MUSIC, extra=extra)  # fmt: skip
    provider = LocalMusicProvider()
    result = provider.compose(node.parameters["genre"], node.parameters["tone"],
                              node.parameters["seconds"])  # fmt: skip
    job_record_calls(job=job, calls=provider.calls, save=False)
    extra = {**result.metadata, "durationSeconds": round(result.duration_seconds, 3)}
    return _store(job, node, data=result.data, provider=provider.name, model=result.model,
                  extra=extra)  # fmt: skip


# ---------------------------------------------------------------- the episode cut
def seconds_of(asset: Asset) -> float | None:
    """An audio or video asset's length as its metadata records it, if it does."""
    seconds = asset.metadata.get("durationSeconds")
    return float(seconds) if isinstance(seconds, int | float) else None


def _make_cut(job: Job, node: dag.Node, graph: dict) -> str:
    clips = [graph[k] for k in node.inputs if k[0] == dag.N.CLIP]
    spoken = [[graph[k] for k in c.inputs if k[0] == dag.N.DIALOGUE_AUDIO] for c in clips]
    music = graph.get((dag.N.MUSIC, job.target_key))
    with tempfile.TemporaryDirectory(prefix="cut-") as tmp:

        def copied(asset: Asset, name: str) -> Path:
            path = Path(tmp) / f"{name}.{asset.extension}"
            path.write_bytes(_read(asset))
            return path

        scenes = [
            assembly.CutScene(
                video=copied(clip.current, f"{n:03d}"),
                lines=tuple(
                    assembly.CutLine(speaker=line.context["speaker"], text=line.prompt,
                                     audio=copied(line.current, f"{n:03d}-{m:03d}"),
                                     duration=seconds_of(line.current))
                    for m, line in enumerate(lines)
                ),
                key=clip.target_key, title=clip.entity.title,
            )
            for n, (clip, lines) in enumerate(zip(clips, spoken, strict=True))
        ]  # fmt: skip
        has_bed = music is not None and music.current is not None
        bed = copied(music.current, "music") if has_bed else None
        started = time.monotonic()
        try:
            cut = assembly.assemble_episode(scenes, Path(tmp) / "cut.mp4", music=bed,
                                            fps=CUT_FPS, loudness=dag.LOUDNESS)  # fmt: skip
        except assembly.AssemblyError as exc:
            return job_fail(job=job, error=f"the episode cut could not be assembled: {exc}")
        data = cut.path.read_bytes()
    add_time(job, "storeSeconds", time.monotonic() - started)
    summary = {"durationSeconds": round(cut.duration, 3), "scenes": len(scenes),
               "subtitles": len(cut.cues), "width": cut.width, "height": cut.height,
               "loudnessLufs": cut.loudness, "music": cut.music}  # fmt: skip

    def beside(stored: Asset) -> tuple:
        export = timeline.episode_timeline(
            **timeline_of(
                job,
                node,
                cut,
                stored,
                clips=clips,
                lines=[line for lines in spoken for line in lines],
                music=music,
            )
        )
        return (
            (Asset.Kind.SUBTITLES, cut.webvtt.encode(), {"cues": len(cut.cues)}),
            (Asset.Kind.TIMELINE, export.encode(), {"durationSeconds": summary["durationSeconds"]}),
        )

    return _store(job, node, data=data, provider="assembly", model=node.model, extra=summary,
                  beside=beside)  # fmt: skip


def timeline_of(job: Job, node: dag.Node, cut: assembly.Cut, stored: Asset, *,
                clips: list[dag.Node], lines: list[dag.Node],
                music: dag.Node | None) -> dict:  # fmt: skip
    """The cut as OpenTimelineIO sees it: its scenes' clips, lines and music, by their URLs."""
    video = [
        timeline.TimelineClip(
            name=placed.title or placed.key, url=asset_url(clip.current), start=placed.start,
            duration=placed.duration, media_duration=placed.clip_duration,
            metadata={"assetId": clip.current.public_id, "scene": placed.key},
        )
        for placed, clip in zip(cut.scenes, clips, strict=True)
    ]  # fmt: skip
    dialogue = [
        timeline.TimelineClip(
            name=f"{placed.speaker}: {placed.text}"[:80], url=asset_url(line.current),
            start=placed.start, duration=placed.duration, media_duration=placed.duration,
            metadata={"assetId": line.current.public_id, "line": line.target_key,
                      "speaker": placed.speaker, "text": placed.text},
        )
        for placed, line in zip(cut.lines, lines, strict=True)
    ]  # fmt: skip
    bed = None
    if cut.music and music is not None and music.current is not None:
        bed = timeline.TimelineClip(
            name="Music", url=asset_url(music.current), start=0.0, duration=cut.duration,
            media_duration=seconds_of(music.current),
            metadata={"assetId": music.current.public_id},
        )  # fmt: skip
    markers = [timeline.TimelineMarker(name=p.title or p.key, start=p.start, duration=p.duration,
                                       note=p.key) for p in cut.scenes]  # fmt: skip
    episode = node.entity
    return {
        "name": dag.episode_name(episode), "fps": CUT_FPS,
        "duration": cut.duration, "video": video, "dialogue": dialogue, "music": bed,
        "markers": markers,
        "cut": timeline.TimelineClip(name="Episode cut", url=asset_url(stored), start=0.0,
                                     duration=cut.duration, metadata={"assetId": stored.public_id}),
        "metadata": {"drama": job.drama.public_id, "episode": episode.key,
                     "loudnessLufs": cut.loudness, "cutAssetId": stored.public_id},
    }  # fmt: skip


def asset_url(asset: Asset) -> str:
    """Where an editor's tool finds the asset: the library's download address, absolute."""
    return f"{settings.SITE_URL.rstrip('/')}/asset-library/{asset.public_id}"
