from __future__ import annotations

from django.apps import AppConfig


class DramasConfig(AppConfig):
    name = "dramas"
    verbose_name = "Dramas"
