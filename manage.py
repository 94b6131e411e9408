#!/usr/bin/env python
"""Django's command-line utility for Drama Platform."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dramaplatform.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 (reads the settings: a refusal is raised here)
    except ImproperlyConfigured as exc:
        # A configuration the product refuses: its reason on one line, not a traceback.
        sys.exit(f"error: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
