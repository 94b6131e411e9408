"""The asset library, and the script's entities answered with their current assets."""

from __future__ import annotations

from django.conf import settings
from django.urls import path

from assets import api, media, script_api

D = "dramas/<str:drama_id>"
E = f"{D}/episodes/<str:episode_id>"
S = f"{E}/scenes/<str:scene_id>"
A = "asset-library/<str:asset_id>"

urlpatterns = [
    path(D, script_api.DramaDetailView.as_view()),
    path(f"{D}/characters", script_api.CharacterListView.as_view()),
    path(f"{D}/characters/<str:character_id>", script_api.CharacterDetailView.as_view()),
    path(f"{D}/episodes", script_api.EpisodeListView.as_view()),
    path(E, script_api.EpisodeDetailView.as_view()),
    path(f"{E}/scenes", script_api.SceneListView.as_view()),
    path(S, script_api.SceneDetailView.as_view()),
    path(f"{S}/assets", api.SceneAssetListView.as_view()),
    path(f"{S}/assets/<str:asset_id>", api.SceneAssetDetailView.as_view()),
    path("asset-library/list", api.AssetListView.as_view()),
    path("asset-library/upload", api.AssetUploadView.as_view()),
    path(A, api.AssetDetailView.as_view()),
    path(f"{A}/metadata", api.AssetMetadataView.as_view()),
    path(f"{A}/versions", api.AssetVersionsView.as_view()),
    path(f"{A}/make-current", api.AssetMakeCurrentView.as_view()),
    path(f"{A}/attach", api.AssetAttachView.as_view()),
    path(f"{A}/approve", api.AssetApproveView.as_view()),
    path(f"{A}/reject", api.AssetRejectView.as_view()),
    # Local media files, in development too, through signed URLs only (assets.media).
    path(f"{settings.MEDIA_URL.strip('/')}/<path:name>", media.media_file, name="media-file"),
]
