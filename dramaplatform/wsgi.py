from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dramaplatform.settings")
try:
    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    # A configuration the product refuses: its reason on one line, not a traceback.
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(4)  # gunicorn's code for "the application could not be loaded"
