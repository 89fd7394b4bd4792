"""Gunicorn settings for every served BCF Portal (docker-compose.yml, make bench, make loadtest).

    gunicorn -c bcf_portal/gunicorn.conf.py bcf_portal.wsgi

WEB_CONCURRENCY  worker processes (default: two per CPU, at least 2). Sync workers each serve one
                 request at a time, so a little more than one per core covers database waits.
GUNICORN_BIND    address to listen on (default 0.0.0.0:8000).
ACCESS_LOG       "-" to log each request to stdout (docker-compose.yml does); unset, none.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, 2 * (os.cpu_count() or 1)))
accesslog = os.environ.get("ACCESS_LOG") or None
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Longer than the slowest page, shorter than a user's patience; exports never run in a request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
