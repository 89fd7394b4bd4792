"""Shared pytest fixtures."""

import time

import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import DEMO_PASSWORD


@pytest.fixture
def demo_password():
    return DEMO_PASSWORD


@pytest.fixture
def shipped_rounds(db):
    """Every shipped planning round, loaded from their fixtures."""
    call_command("load_round", "--all", verbosity=0)


@pytest.fixture
def demo_data(db):
    """The shipped rounds plus the demo users and plans, every plan a draft (load_demo --no-workflow).

    Returns the load's result: `.password` signs in any demo user (e.g. commissioner@plymouth.demo).
    Tests take the plans where they need them; tests/governance/test_demo_workflow.py covers the
    demo's own submitted and approved plans.
    """
    from demo.loader import load_demo

    return load_demo(workflow=False)


# --- A real Celery worker on Redis (db 2), against the test database ---------------------

CELERY_TEST_BROKER = "redis://127.0.0.1:6379/2"


def reset_celery_connections(app):
    """Drop pooled broker connections so the next send uses the app's current broker_url.

    kombu keeps pools in a global registry; reset() closes and forgets them, so no later send
    picks up a closed pool.
    """
    import kombu.pools

    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_test_broker():
    """The Redis database the live worker uses. A test module may override this fixture to use its own."""
    return CELERY_TEST_BROKER


@pytest.fixture
def live_celery_worker(transactional_db, tmp_path, celery_test_broker):
    """Start `celery worker` as a subprocess on Redis db 2, pointed at this test database.

    Tests using it need @pytest.mark.django_db(transaction=True) so the worker sees committed
    rows. Each worker listens on its own queue, so parallel test runs on the same Redis never
    take each other's tasks. Tasks are sent for real (not eagerly) while the fixture is active.
    """
    import os
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    from bcf_portal.celery import app

    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    queue = f"bcf-test-{uuid.uuid4().hex[:10]}"
    log_path = tmp_path / "celery-worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": celery_test_broker,
        "CELERY_RESULT_BACKEND": celery_test_broker,
        "DJANGO_SETTINGS_MODULE": "bcf_portal.settings_test",
    }
    command = [sys.executable, "-m", "celery", "-A", "bcf_portal", "worker", "--pool=solo", "--loglevel=INFO"]
    command += ["-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parent.parent
        )
    previous = {key: app.conf.get(key) for key in ("task_always_eager", "broker_url", "task_default_queue")}
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        app.conf.update(task_always_eager=False, broker_url=celery_test_broker, task_default_queue=queue)
        reset_celery_connections(app)
        yield type("LiveWorker", (), {"queue": queue, "process": process, "log": log_path})
    finally:
        app.conf.update(previous)
        reset_celery_connections(app)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def _live_server_requests_finish_before_the_flush(request):
    """A browser test's last requests (an autosave sent as the page closes) must finish before the
    test database is flushed, or PostgreSQL's TRUNCATE deadlocks with them."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    if connection.vendor != "postgresql":
        return
    busy_sql = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')"
    )
    # A closing page's beacon can reach the server a moment after the page is gone: wait until the
    # database has been quiet for a whole second before letting the flush run.
    deadline = time.monotonic() + 15
    quiet_since = None
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(busy_sql)
            busy = cursor.fetchone()[0]
        now = time.monotonic()
        quiet_since = (quiet_since or now) if busy == 0 else None
        if quiet_since is not None and now - quiet_since >= 1.0:
            return
        time.sleep(0.1)
