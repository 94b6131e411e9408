"""The viewer: dramas as a watcher sees them, in the browser with Django's session login.

Who sees what: a logged-in user their own dramas, staff every drama. An anonymous visitor is
sent to the login page, except in development with the API open (no key configured), where
they read as the API's service account does and so see every drama: as the audience, though,
so with `REQUIRE_STORYBOARD_APPROVAL` on they are shown approved media only. Owners and staff
always see every current asset, with its review state.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.services import service_user
from assets.models import Asset
from dramaplatform.api import error_body
from dramaplatform.errors import NotFound
from dramas import selectors as script
from dramas.models import Drama
from generation.models import Job
from generation.runs import active_run
from generation.selectors import run_progress, with_run_progress
from viewer import selectors

PAGE_SIZE = 24
# The local script writer ends its loglines with this; the page shows a badge instead.
OFFLINE_NOTE = re.compile(r"\s*\(offline preview[^)]*\)\s*$", re.IGNORECASE)


def _reader(request: HttpRequest) -> AbstractBaseUser | None:
    """Whom the request reads as, or None when it must log in first."""
    if request.user.is_authenticated:
        return request.user
    if settings.API_OPEN:
        return service_user()
    return None


def _sees_everything(request: HttpRequest, drama: Drama) -> bool:
    user = request.user
    return user.is_authenticated and (user.is_staff or drama.owner_id == user.pk)


def _approved_only(request: HttpRequest, drama: Drama | None = None) -> bool:
    if not settings.REQUIRE_STORYBOARD_APPROVAL:
        return False
    if drama is None:  # the index: a logged-in user lists only dramas they may see in full
        return not request.user.is_authenticated
    return not _sees_everything(request, drama)


def _log_in_first(request: HttpRequest) -> HttpResponse:
    return redirect_to_login(request.get_full_path(), login_url=reverse("admin:login"))


def _not_found(request: HttpRequest, drama_id: str) -> HttpResponse:
    return render(request, "viewer/not_found.html", {"drama_id": drama_id}, status=404)


def _is_offline(drama: Drama, assets: list[Asset]) -> bool:
    return "offline preview" in drama.logline.lower() or any(a.provider == "local" for a in assets)


def _by_kind(entity) -> list[Asset]:
    """Sets `media` ({kind: asset}) on the entity from its current assets; returns them."""
    entity.media = {a.kind: a for a in entity.current_assets}
    return entity.current_assets


def _progress(run: Job | None) -> dict:
    if run is None:
        return {"active": False}
    counted = with_run_progress(Job.objects.filter(pk=run.pk)).get()
    progress = run_progress(job=run)
    return {
        "active": True,
        "run": run.public_id,
        "status": run.status,
        "percent": progress["percent"],
        "finished": counted.run_finished,
        "total": counted.run_total,
        "failed": counted.run_failed,
        "in_flight": len(progress["in_flight"]),
    }


def drama_index(request: HttpRequest) -> HttpResponse:
    reader = _reader(request)
    if reader is None:
        return _log_in_first(request)
    cards = selectors.drama_cards(user=reader, approved_only=_approved_only(request))
    page = Paginator(cards, PAGE_SIZE).get_page(request.GET.get("page"))
    dramas = list(page.object_list)
    selectors.posters_of(dramas)
    for drama in dramas:
        drama.shown_logline = OFFLINE_NOTE.sub("", drama.logline)
    return render(request, "viewer/index.html", {"page": page, "dramas": dramas})


def drama_page(request: HttpRequest, drama_id: str) -> HttpResponse:
    reader = _reader(request)
    if reader is None:
        return _log_in_first(request)
    try:
        drama = selectors.drama_with_media(user=reader, public_id=drama_id)
    except NotFound:
        return _not_found(request, drama_id)
    if _approved_only(request, drama):
        selectors.keep_approved(drama)
    characters = list(drama.characters.all())
    episodes = list(drama.episodes.all())
    assets = [a for c in characters for a in _by_kind(c)]
    for episode in episodes:
        assets += _by_kind(episode)
        for scene in episode.scenes.all():
            assets += _by_kind(scene)
    context = {
        "drama": drama,
        "logline": OFFLINE_NOTE.sub("", drama.logline),
        "offline": _is_offline(drama, assets),
        "characters": characters,
        "episodes": episodes,
        "progress": _progress(active_run(drama)),
        "sees_everything": _sees_everything(request, drama),
        "approval_required": settings.REQUIRE_STORYBOARD_APPROVAL,
    }
    return render(request, "viewer/drama.html", context)


def drama_progress(request: HttpRequest, drama_id: str) -> JsonResponse:
    """The drama's run in progress, for the page's poll: `{"active": false}` when none."""
    reader = _reader(request)
    if reader is None:
        return JsonResponse(error_body(401, "Log in first."), status=401)
    try:
        drama = script.drama_get(user=reader, public_id=drama_id, detail=False)
    except NotFound:
        return JsonResponse(error_body(404, f"No drama with id '{drama_id}'."), status=404)
    return JsonResponse(_progress(active_run(drama)))
