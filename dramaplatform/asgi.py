from __future__ import annotations

import os
import sys

from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dramaplatform.settings")
try:
    application = get_asgi_application()
except ImproperlyConfigured as exc:
    # A configuration the product refuses: its reason on one line, not a traceback.
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(4)
