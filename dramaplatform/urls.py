from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from assets import api as assets
from dramas import api as dramas
from generation import api as generation

handler404 = "dramaplatform.api.json_404"
handler500 = "dramaplatform.api.json_500"

D = "dramas/<str:drama_id>"
E = f"{D}/episodes/<str:episode_id>"
S = f"{E}/scenes/<str:scene_id>"
A = "asset-library/<str:asset_id>"

urlpatterns = [
    path("", RedirectView.as_view(url="/docs", permanent=False)),
    path("admin/", admin.site.urls),
    path("openapi.json", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("dramas", generation.DramaCollectionView.as_view()),
    path(D, dramas.DramaDetailView.as_view()),
    path(f"{D}/improve", generation.DramaImproveView.as_view()),
    path(f"{D}/critique", generation.DramaCritiqueView.as_view()),
    path(f"{D}/generate", generation.DramaGenerateView.as_view()),
    path(f"{D}/characters", dramas.CharacterListView.as_view()),
    path(f"{D}/characters/<str:character_id>", dramas.CharacterDetailView.as_view()),
    path(f"{D}/characters/<str:character_id>/generate", generation.CharacterGenerateView.as_view()),
    path(f"{D}/episodes", dramas.EpisodeListView.as_view()),
    path(E, dramas.EpisodeDetailView.as_view()),
    path(f"{E}/generate", generation.EpisodeGenerateView.as_view()),
    path(f"{E}/scenes", dramas.SceneListView.as_view()),
    path(S, dramas.SceneDetailView.as_view()),
    path(f"{S}/generate", generation.SceneGenerateView.as_view()),
    path(f"{S}/assets", assets.SceneAssetListView.as_view()),
    path(f"{S}/assets/<str:asset_id>", assets.SceneAssetDetailView.as_view()),
    path(f"{D}/jobs", generation.JobListView.as_view()),
    path(f"{D}/jobs/<str:job_id>", generation.JobDetailView.as_view()),
    path(f"{D}/jobs/<str:job_id>/cancel", generation.JobCancelView.as_view()),
    path(f"{D}/jobs/<str:job_id>/retry", generation.JobRetryView.as_view()),
    path("asset-library/list", assets.AssetListView.as_view()),
    path("asset-library/upload", assets.AssetUploadView.as_view()),
    path(A, assets.AssetDetailView.as_view()),
    path(f"{A}/metadata", assets.AssetMetadataView.as_view()),
    path(f"{A}/versions", assets.AssetVersionsView.as_view()),
    path(f"{A}/make-current", assets.AssetMakeCurrentView.as_view()),
    path(f"{A}/approve", assets.AssetApproveView.as_view()),
    path(f"{A}/reject", assets.AssetRejectView.as_view()),
]

if settings.DEBUG:
    # Local media in development; production serves files from object storage.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
