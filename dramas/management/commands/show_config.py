from __future__ import annotations

from django.core.management.base import BaseCommand

from dramaplatform.config import summary_text


class Command(BaseCommand):
    help = "Prints the running configuration, with secrets masked."

    def handle(self, *args, **options) -> None:
        self.stdout.write(summary_text())
