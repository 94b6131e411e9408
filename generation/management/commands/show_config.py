from __future__ import annotations

from django.core.management.base import BaseCommand

from dramaplatform.config import summary_text
from generation.providers.pricing import describe_prices
from generation.providers.registry import configured_models


def configuration_text() -> str:
    """The configuration summary with the provider chosen for each kind, its model and prices."""
    providers = [
        (f"{kind} provider", f"{provider} — {model} ({describe_prices(model)})")
        for kind, (provider, model) in configured_models().items()
    ]
    return summary_text(providers=providers)


class Command(BaseCommand):
    help = "Prints the running configuration, with secrets masked."

    def handle(self, *args, **options) -> None:
        self.stdout.write(configuration_text())
