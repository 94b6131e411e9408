"""The root URLconf: admin, schema and docs, and the apps' endpoints."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerView

from dramaplatform.schema import JsonSchemaView, YamlSchemaView

handler400 = "dramaplatform.api.json_400"
handler403 = "dramaplatform.api.json_403"
handler404 = "dramaplatform.api.json_404"
handler500 = "dramaplatform.api.json_500"

# Each app owns its endpoints; named here, not imported, as settings import no app.
urlpatterns = [
    path("", RedirectView.as_view(url="/watch/", permanent=False)),
    path("watch/", include("viewer.urls")),
    # Before the admin's own URLs, which would answer 404 for it.
    path("admin/dramas/drama/from-premise/", include("generation.admin_premise")),
    path("admin/", admin.site.urls),
    path("openapi.json", JsonSchemaView.as_view(), name="schema"),
    path("openapi.yaml", YamlSchemaView.as_view(), name="schema-yaml"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include("generation.urls")),
    path("", include("assets.urls")),
]

# Local media are served by assets' `media/…` route, through signed URLs only: not by
# django.conf.urls.static, which would answer anyone.
