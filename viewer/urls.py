"""The viewer's pages: the dramas one may watch, and each drama as a show's page."""

from __future__ import annotations

from django.urls import path

from viewer import views

app_name = "viewer"

urlpatterns = [
    path("", views.drama_index, name="index"),
    path("<str:drama_id>/", views.drama_page, name="drama"),
    path("<str:drama_id>/progress.json", views.drama_progress, name="progress"),
]
