"""A bare Django app: the benchmark's anchors, served like the portal (same gunicorn config, same database).

No middleware, no sessions, no installed apps beyond this one: what Django itself costs for a view
rendering a small template and for a view running ten ORM queries. bench/run.py measures both in
the same run as the portal's pages (bare.template, bare.ten_queries), so a page's ratio to them
says how far it is from the framework's floor on that machine that hour.
"""

import os
from pathlib import Path

import environ

env = environ.Env()
SECRET_KEY = "bare-anchor-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.bare.urls"
INSTALLED_APPS = ["bench.bare"]
MIDDLEWARE: list[str] = []
DATABASES = {"default": env.db("DATABASE_URL")}
# The portal's own persistence setting, so both keep (or drop) connections alike.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
# And its prepared statements (server-side binding), so the ten-query view is not planned afresh either.
if env.bool("DB_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
TEMPLATES = [
    {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [Path(__file__).parent / "templates"]}
]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare.settings")
