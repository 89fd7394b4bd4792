"""gunicorn bench.bare.wsgi: the benchmark's bare Django anchors."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare.settings")
application = get_wsgi_application()
