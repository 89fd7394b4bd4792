"""Issue 14, item 6, under gunicorn: four hostile Markdown previews at once leave /healthz answering.

Before the fix each preview of 20,000 "[" took 95 s, so four of them held all four workers and
/healthz went unanswered. gunicorn is started here as in production (four sync workers, DEBUG
off) on a free 127.0.0.1 port against the test database.
"""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory, PlanFactory
from tests.plans.test_markdown import BRACKETS_10K, BRACKETS_20K

ROOT = Path(__file__).resolve().parents[2]
# A load balancer's health check waits a few seconds; the issue saw /healthz unanswered for 20 s.
HEALTHZ_SECONDS = 5
CSRF_SECRET = "a" * 32  # any 32-character secret is a valid token for the cookie and header pair


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bcf_portal.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,  # the sessions signed in here must be valid there
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
    }
    command = [sys.executable, "-m", "gunicorn", "bcf_portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "4"]
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_four_hostile_markdown_previews_leave_healthz_answering(gunicorn):
    plan = PlanFactory()
    user = MembershipFactory(hwb_area=plan.hwb_area).user
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    preview = gunicorn + reverse(
        "plans:markdown_preview", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    )
    results: dict[int, tuple[int, float]] = {}

    def post_preview(number: int, text: str) -> None:
        request = urllib.request.Request(
            preview,
            data=urllib.parse.urlencode({"text": text}).encode(),
            headers={
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={CSRF_SECRET}",
                "X-CSRFToken": CSRF_SECRET,
                "Referer": gunicorn + "/",
            },
        )
        start = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                results[number] = (response.status, time.monotonic() - start)
        except urllib.error.HTTPError as error:
            results[number] = (error.code, time.monotonic() - start)

    previews = [
        threading.Thread(target=post_preview, args=(n, text))
        for n, text in enumerate([BRACKETS_20K, BRACKETS_20K, BRACKETS_10K, BRACKETS_10K])
    ]
    for thread in previews:
        thread.start()
    time.sleep(0.3)  # the previews reach the workers first

    start = time.monotonic()
    with urllib.request.urlopen(f"{gunicorn}/healthz", timeout=60) as response:
        healthz = (response.status, time.monotonic() - start)
    for thread in previews:
        thread.join(timeout=150)

    assert healthz[0] == 200
    assert healthz[1] < HEALTHZ_SECONDS, f"/healthz took {healthz[1]:.1f} s while four previews ran"
    assert sorted(results) == [0, 1, 2, 3], results
    assert all(status == 200 for status, _ in results.values()), results
