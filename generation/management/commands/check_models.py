from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from generation.providers import registry
from generation.providers.base import ModelLifecycle


class Command(BaseCommand):
    help = (
        "Asks each configured remote service about its model and says plainly which are "
        "unknown, retired or due to retire, and when. Exits non-zero if a model is retired "
        "or unknown, so it can guard a deploy."
    )

    def handle(self, *args, **options) -> None:
        providers = {
            "script": registry.script_provider(),
            "image": registry.image_provider(),
            "video": registry.video_provider(),
            "speech": registry.speech_provider(),
        }
        broken = []
        for kind, provider in providers.items():
            if provider.name == "local":
                state = ModelLifecycle(provider="local", model=provider.model, state="available",
                                       detail="offline, always available")  # fmt: skip
            else:
                state = provider.lifecycle()
            self.stdout.write(f"{kind:<7}{state.provider:<9}{state.model:<28}{describe(state)}")
            if state.state in ("retired", "unknown"):
                broken.append(f"{kind} model {state.model} is {state.state}")
        if broken:
            raise CommandError("; ".join(broken) + ".")


def describe(state: ModelLifecycle) -> str:
    when = ""
    if state.shutdown_date:
        # UTC, as the providers judge retired against it.
        days = (date.fromisoformat(state.shutdown_date) - timezone.now().date()).days
        when = f" on {state.shutdown_date} ({days} days from today)" if days >= 0 else (
            f" since {state.shutdown_date}")  # fmt: skip
    text = {
        "available": "available",
        "retiring": f"RETIRING{when}: move to its replacement before then",
        "retired": f"RETIRED{when}: jobs using it will fail",
        "unknown": "UNKNOWN to the service: check the model name",
        "unchecked": "not checked",
    }[state.state]
    return f"{text}{f' — {state.detail}' if state.detail else ''}"
