"""The endpoints that start or steer background work."""

from __future__ import annotations

from django.urls import path

from generation import api

D = "dramas/<str:drama_id>"
E = f"{D}/episodes/<str:episode_id>"
S = f"{E}/scenes/<str:scene_id>"

urlpatterns = [
    path("dramas", api.DramaCollectionView.as_view()),
    path(f"{D}/improve", api.DramaImproveView.as_view()),
    path(f"{D}/critique", api.DramaCritiqueView.as_view()),
    path(f"{D}/generate", api.DramaGenerateView.as_view()),
    path(f"{D}/characters/<str:character_id>/generate", api.CharacterGenerateView.as_view()),
    path(f"{E}/generate", api.EpisodeGenerateView.as_view()),
    path(f"{S}/generate", api.SceneGenerateView.as_view()),
    path(f"{D}/jobs", api.JobListView.as_view()),
    path(f"{D}/jobs/<str:job_id>", api.JobDetailView.as_view()),
    path(f"{D}/jobs/<str:job_id>/cancel", api.JobCancelView.as_view()),
    path(f"{D}/jobs/<str:job_id>/retry", api.JobRetryView.as_view()),
]
