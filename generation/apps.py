from __future__ import annotations

from django.apps import AppConfig


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = "Generation"

    def ready(self) -> None:
        from assets.services import asset_reviewed
        from generation.runs import storyboard_reviewed

        asset_reviewed.connect(storyboard_reviewed, dispatch_uid="generation.approval_gate")
