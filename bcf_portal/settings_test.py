"""Test settings: the real PostgreSQL by default, fast hashing, plain static files for live_server."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bcf_portal")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from .settings import *  # noqa: E402,F403
from .settings import STORAGES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Each pytest-xdist worker (gw0, gw1, ...) stores files apart, as it has a database of its own.
MEDIA_ROOT = VAR_DIR / f"test-media{os.environ.get('PYTEST_XDIST_WORKER', '')}"
# A live_server request thread's connection must close when the thread ends, so the flush after a
# browser test never waits on a connection kept open for reuse.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
