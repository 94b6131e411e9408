from __future__ import annotations

from django.apps import AppConfig


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = "Generation"

    def ready(self) -> None:
        from assets.services import asset_reviewed
        from generation import runs, script_jobs, services

        services.OUTCOME_EFFECTS.update(
            node=runs.node_finished, job=script_jobs.script_job_finished
        )
        asset_reviewed.connect(runs.storyboard_reviewed, dispatch_uid="generation.approval_gate")
