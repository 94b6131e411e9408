from __future__ import annotations

import re
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from assets.models import Asset, sidecar_key
from assets.storage import iter_keys, remove_keys, write_sidecar

ASSET_KEY = re.compile(r"^\d+/[^/]+/assets/asset_[0-9a-f]+(\.[a-z0-9]+|_metadata\.json)$")


class Command(BaseCommand):
    help = (
        "Compares media storage with the asset table: files without a row (orphans), rows "
        "without a file, and missing sidecars. Reports by default; --delete removes orphans "
        "older than --min-age, --repair rewrites missing sidecars."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--delete", action="store_true", help="Delete orphaned files.")
        parser.add_argument("--repair", action="store_true", help="Rewrite missing sidecars.")
        parser.add_argument(
            "--min-age",
            type=int,
            default=3600,
            help="Seconds; younger files may belong to a store still in progress.",
        )

    def handle(self, *args, delete: bool, repair: bool, min_age: int, **options) -> None:
        cutoff = timezone.now() - timedelta(seconds=min_age)
        stored = dict(iter_keys())
        assets = list(Asset.objects.exclude(file=""))
        expected = {a.file.name for a in assets} | {sidecar_key(a.file.name) for a in assets}

        orphans = sorted(
            key for key, written in stored.items()
            if key not in expected and ASSET_KEY.match(key) and written < cutoff
        )  # fmt: skip
        missing = [a for a in assets if a.file.name not in stored]
        no_sidecar = [
            a for a in assets if a.file.name in stored and sidecar_key(a.file.name) not in stored
        ]

        for key in orphans:
            self.stdout.write(f"orphan file: {key}")
        for asset in missing:
            self.stdout.write(f"row without file: {asset.public_id} ({asset.file.name})")
        for asset in no_sidecar:
            self.stdout.write(f"missing sidecar: {asset.public_id}")
        if delete and orphans:
            remove_keys(orphans)
            self.stdout.write(f"deleted {len(orphans)} orphaned file(s)")
        if repair:
            for asset in no_sidecar:
                write_sidecar(asset)
            self.stdout.write(f"rewrote {len(no_sidecar)} sidecar(s)")
        self.stdout.write(
            f"{len(stored)} key(s) in storage, {len(assets)} asset row(s): {len(orphans)} "
            f"orphan(s), {len(missing)} row(s) without a file, {len(no_sidecar)} missing "
            "sidecar(s)"
        )
