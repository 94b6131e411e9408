from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Assets"

    def ready(self) -> None:
        from assets.models import Asset
        from assets.services import asset_files_delete_on_commit

        # The script's rows cascade to their assets; the files follow the rows.
        post_delete.connect(
            asset_files_delete_on_commit, sender=Asset, dispatch_uid="assets.files_follow_rows"
        )
