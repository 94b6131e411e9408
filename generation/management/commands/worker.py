from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from dramaplatform.config import summary_text


class Command(BaseCommand):
    help = "Prints the configuration, then runs the django-q2 cluster that executes jobs."

    def handle(self, *args, **options) -> None:
        self.stdout.write(summary_text())
        call_command("qcluster")
