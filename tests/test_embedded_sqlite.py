"""The embedded default under parallel requests: SQLite served by `manage.py runserver`, as `make run` does.

Twenty signed-in browsers post the same sign-off, then twenty post the same submission, all at
once. Every request must be answered (one succeeds, the rest are told it has already happened),
none with a 500 "database is locked", and exactly one signature and one submission are recorded.
"""

import concurrent.futures
import contextlib
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
PARALLEL = 20
PASSWORD = "parallel-requests-7731"
ROUND = "2014-15"
SIGNING_AREA = "E06000026"  # Plymouth: sent for sign-off, its CCG slot signed by twenty at once
SUBMITTING_AREA = "E06000045"  # Southampton: signed off, submitted by twenty at once

# Run in `manage.py shell` after load_demo: one known password, Plymouth ready for sign-off,
# Southampton signed off, both through the portal's own services.
PREPARE = f"""
from django.contrib.auth.hashers import make_password
from governance import services
from governance.snapshots import plan_content_hash
from accounts.models import Membership, User
from plans.models import Plan, SectionProgress
from rounds.models import Section, SignOffSlot

User.objects.update(password=make_password({PASSWORD!r}))

def ready_for_signoff(ons_code):
    plan = Plan.objects.get(round__slug={ROUND!r}, hwb_area__ons_code=ons_code)
    for section in Section.objects.filter(round_id=plan.round_id).exclude(table=Section.Table.SIGNOFF):
        SectionProgress.objects.update_or_create(
            plan=plan, section=section, defaults={{"status": SectionProgress.Status.COMPLETED}}
        )
    commissioner = Membership.objects.filter(hwb_area=plan.hwb_area, role="commissioner").first().user
    return services.send_for_signoff(user=commissioner, plan=plan)

ready_for_signoff({SIGNING_AREA!r})
plan = ready_for_signoff({SUBMITTING_AREA!r})
for slot in SignOffSlot.objects.filter(round_id=plan.round_id):
    signer = Membership.objects.get(hwb_area=plan.hwb_area, role="signatory", signoff_slot_code=slot.code).user
    signature = services.Signature(signatory_name=signer.full_name, position=signer.job_title)
    services.sign_plan(
        user=signer, plan=plan, slot_code=slot.code, signature=signature, seen_content_hash=plan_content_hash(plan)
    )
plan.refresh_from_db()
assert plan.status == Plan.Status.SIGNED_OFF, plan.status
"""

COUNT = f"""
import json
from governance.models import SignOff, Submission
print(json.dumps({{
    "signatures": SignOff.objects.filter(
        plan__hwb_area__ons_code={SIGNING_AREA!r}, slot__code="ccg", voided_at__isnull=True
    ).count(),
    "submissions": Submission.objects.filter(plan__hwb_area__ons_code={SUBMITTING_AREA!r}).count(),
}}))
"""


def manage(env, *args, stdin=None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory):
    """A migrated, demo-loaded SQLite file served by runserver in a subprocess; yields (base URL, env)."""
    where = tmp_path_factory.mktemp("embedded")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "DEBUG"))}
    env.update(DATABASE_URL=f"sqlite:///{where / 'db.sqlite3'}", MEDIA_ROOT=str(where / "media"), DEBUG="true")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_demo", "--no-workflow")  # PREPARE signs and submits plans itself
    manage(env, "shell", stdin=PREPARE)
    with contextlib.closing(sqlite3.connect(where / "db.sqlite3")) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # set by the settings, kept in the file

    port = free_port()
    log = open(where / "runserver.log", "w")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (where / "runserver.log").read_text()
            time.sleep(0.5)
        yield base, env, where / "runserver.log"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def hidden_fields(session: requests.Session, url: str) -> dict[str, str]:
    """Load a form page and return what a browser would post back unseen (the CSRF token and the like)."""
    response = session.get(url, timeout=120)
    assert response.status_code == 200, f"GET {url}: {response.status_code}"
    fields = dict(HIDDEN_INPUT.findall(response.text))
    assert "csrfmiddlewaretoken" in fields, url
    return fields


def signed_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    response = session.post(
        f"{base}/sign-in/",
        data={**hidden_fields(session, f"{base}/sign-in/"), "username": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=120,
    )
    assert response.status_code == 302, f"{email} could not sign in: {response.status_code}"
    return session


def all_at_once(base: str, email: str, path: str, data: dict) -> list[int]:
    """Sign in PARALLEL browsers as `email`, load the form in each, then post it from all at the same moment."""
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        sessions = list(pool.map(lambda _: signed_in(base, email), range(PARALLEL)))
        forms = list(pool.map(lambda s: hidden_fields(s, f"{base}{path}"), sessions))
        start = threading.Barrier(PARALLEL)

        def post(session_and_form):
            session, hidden = session_and_form
            start.wait()
            response = session.post(f"{base}{path}", data={**hidden, **data}, allow_redirects=False, timeout=300)
            return response.status_code

        return list(pool.map(post, zip(sessions, forms, strict=True)))


def counts(env) -> dict:
    return json.loads(manage(env, "shell", stdin=COUNT).strip().splitlines()[-1])


def test_parallel_signoffs_on_sqlite_wait_instead_of_failing(embedded_server):
    base, env, log = embedded_server
    today = timezone.localdate()
    statuses = all_at_once(
        base,
        "ccg.signatory@plymouth.demo",
        f"/plans/{ROUND}/{SIGNING_AREA}/governance/sign/ccg/",
        {
            "signatory_name": "Helen Marsh",
            "position": "Managing Director (Western Locality)",
            "signed_on_day": str(today.day),
            "signed_on_month": str(today.month),
            "signed_on_year": str(today.year),
            "under_delegation": "no",
        },
    )
    assert 500 not in statuses, f"{statuses}\n{log.read_text()[-5000:]}"
    # One signs (and is sent on to the plan's status); the others see "already been signed".
    assert sorted(statuses) == [200] * (PARALLEL - 1) + [302], statuses
    assert counts(env)["signatures"] == 1


def test_parallel_submissions_on_sqlite_wait_instead_of_failing(embedded_server):
    base, env, log = embedded_server
    statuses = all_at_once(
        base, "commissioner@southampton.demo", f"/plans/{ROUND}/{SUBMITTING_AREA}/governance/submit/", {}
    )
    assert 500 not in statuses, f"{statuses}\n{log.read_text()[-5000:]}"
    # One submits; the others are refused, the plan being submitted already.
    assert sorted(statuses) == [302] + [403] * (PARALLEL - 1), statuses
    assert counts(env)["submissions"] == 1
