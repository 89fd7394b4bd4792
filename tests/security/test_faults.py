"""Faults: nothing a user did is lost, and nothing half-done is left behind.

- Redis down: edits still save, and the export panel says plainly that exports are delayed.
- No worker: the queued export says it is delayed once it has waited too long.
- Export tasks are idempotent (run twice → one file) and retried after a failure.
- A worker killed (SIGKILL) mid-render leaves no file and no stuck job; the export can be retried.
- A database error during submission leaves no Submission row, no event and no stored files.

The worker tests run a real `celery worker` subprocess on Redis db 7 against the test database,
with a settings module that registers a slow, controllable renderer (tests/security/slow_export.py).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import DatabaseError, connection
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from bcf_portal.celery import app
from governance import exports
from governance.models import ExportJob
from governance.tasks import render_export
from plans.models import Answer, Plan
from rounds.models import Question, Section
from tests.conftest import reset_celery_connections
from tests.security import slow_export

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB7 = "redis://127.0.0.1:6379/7"
CLOSED_PORT = "redis://127.0.0.1:1/7"


@pytest.fixture
def broker_down():
    """Send tasks for real (not eagerly) to a Redis that is not there."""
    keys = ("task_always_eager", "broker_url", "broker_connection_timeout", "broker_connection_max_retries")
    previous = {k: app.conf.get(k) for k in keys}
    app.conf.update(
        task_always_eager=False, broker_url=CLOSED_PORT, broker_connection_timeout=1, broker_connection_max_retries=0
    )
    reset_celery_connections(app)
    yield
    app.conf.update(previous)
    reset_celery_connections(app)


@pytest.fixture
def commissioner_plan(db):
    from tests.finance.demo_plans import build_barking_and_dagenham

    plan, user = build_barking_and_dagenham()
    section = Section.objects.filter(round=plan.round, table="", questions__kind="narrative").distinct().first()
    if section is None:
        section = Section.objects.create(round=plan.round, key="h7", heading="Vision", order=99)
        Question.objects.create(section=section, key="h7q", label="Vision", kind="narrative", order=1)
    return plan, user, section


def section_post(plan, section, text):
    """The section form as a browser posts it: every narrative question, each with the version loaded."""
    data = {"action": "draft"}
    for question in section.questions.all():
        answer = Answer.objects.filter(plan=plan, question=question).first()
        if question.kind in ("narrative", "text"):
            data[f"q_{question.key}"] = text
        data[f"v_q_{question.key}"] = answer.version if answer else 0
    return data


# --- Redis or the worker down -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_edits_still_save_and_the_export_says_it_is_delayed(client, commissioner_plan, broker_down):
    plan, user, section = commissioner_plan
    client.force_login(user)
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    text = f"Saved while Redis was down {uuid.uuid4().hex}"
    response = client.post(
        reverse("plans:section", kwargs={**kwargs, "section_key": section.key}), section_post(plan, section, text)
    )
    assert response.status_code in (200, 302)
    assert Answer.objects.filter(plan=plan, text=text).exists(), "the edit was lost with Redis down"

    response = client.post(
        reverse("governance:export_request", kwargs={**kwargs, "kind": "xlsx"}), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 202
    payload = response.json()
    assert payload["status"] == "queued" and payload["delayed"] is True
    assert "Exports are delayed" in payload["message"]
    status = client.get(payload["status_url"]).json()
    assert "Exports are delayed" in status["message"]

    # Without JavaScript the page says the same, in the notification banner.
    page = client.post(reverse("governance:export_request", kwargs={**kwargs, "kind": "xlsx"}), follow=True)
    assert "Exports are delayed" in page.content.decode()


@pytest.mark.django_db
def test_with_no_worker_a_queued_export_says_it_is_delayed_after_a_while(commissioner_plan):
    plan, user, _ = commissioner_plan
    job = ExportJob.objects.create(plan=plan, kind="xlsx", content_hash="h", requested_by=user)
    assert exports.job_status(job)["delayed"] is False
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - exports.DELAYED_AFTER - timedelta(seconds=1))
    job.refresh_from_db()
    status = exports.job_status(job)
    assert status["delayed"] is True and "Exports are delayed" in status["message"]


# --- Idempotent and retried -------------------------------------------------------------------


@pytest.mark.django_db
def test_running_the_export_task_twice_leaves_one_file(commissioner_plan, settings, tmp_path):
    plan, user, _ = commissioner_plan
    settings.MEDIA_ROOT = tmp_path / "media"
    job = ExportJob.objects.create(plan=plan, kind="xlsx", content_hash="h", requested_by=user)
    assert render_export.apply(args=(job.pk,)).get() == "done"
    assert render_export.apply(args=(job.pk,)).get() == "skipped"  # a redelivered task does nothing
    files = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    job.refresh_from_db()
    assert job.status == "done" and len(files) == 1 and files[0].name == Path(job.file.name).name


# --- A real worker, killed mid-render ------------------------------------------------------------


def start_worker(tmp_path, queue) -> tuple[subprocess.Popen, Path]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": REDIS_DB7,
        "CELERY_RESULT_BACKEND": REDIS_DB7,
        "DJANGO_SETTINGS_MODULE": "tests.security.slow_export_settings",
        "H7_MEDIA_ROOT": str(tmp_path / "media"),
        "H7_CONTROL_DIR": str(tmp_path),
    }
    log = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
    command = [sys.executable, "-m", "celery", "-A", "bcf_portal", "worker", "--pool=solo", "--loglevel=INFO"]
    command += ["-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 60
    while b" ready." not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Celery worker did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return process, log


@pytest.fixture
def worker_queue(tmp_path, settings, monkeypatch):
    """Tasks go to Redis db 7 on a queue of this test's own; renders see the slow export kind."""
    queue = f"h7-faults-{uuid.uuid4().hex[:8]}"
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setitem(exports.EXPORT_KINDS, "slow", slow_export.slow_kind())
    os.environ["H7_CONTROL_DIR"] = str(tmp_path)
    keys = ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    previous = {k: app.conf.get(k) for k in keys}
    app.conf.update(task_always_eager=False, broker_url=REDIS_DB7, result_backend=REDIS_DB7, task_default_queue=queue)
    reset_celery_connections(app)
    processes = []
    yield queue, processes
    app.conf.update(previous)
    reset_celery_connections(app)
    os.environ.pop("H7_CONTROL_DIR", None)
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(predicate, timeout=90, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


def media_files(tmp_path) -> list[Path]:
    return [p for p in (tmp_path / "media").rglob("*") if p.is_file()]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_leaves_no_file_and_the_export_can_be_retried(
    commissioner_plan, worker_queue, tmp_path, settings
):
    plan, user, _ = commissioner_plan
    queue, processes = worker_queue
    slow_export.set_mode(tmp_path, "slow")
    worker, log = start_worker(tmp_path, queue)
    processes.append(worker)

    job = exports.request_export(user=user, plan=plan, kind="slow")
    wait_until(lambda: slow_export.started(tmp_path), what="the render to start")
    job.refresh_from_db()
    assert job.status == "running"

    os.kill(worker.pid, signal.SIGKILL)  # the worker dies mid-render: no clean-up runs
    worker.wait(timeout=10)
    time.sleep(0.5)

    job.refresh_from_db()
    assert not job.file and job.status != "done"
    assert media_files(tmp_path) == [], "a killed render left a file behind"

    # The user asks again. A job left running by a dead worker is not waited on for ever.
    ExportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - exports.STALE_AFTER - timedelta(seconds=1))
    slow_export.set_mode(tmp_path, "fast")
    retry_worker, _ = start_worker(tmp_path, queue)
    processes.append(retry_worker)
    again = exports.request_export(user=user, plan=plan, kind="slow")
    assert again.pk != job.pk
    wait_until(lambda: ExportJob.objects.get(pk=again.pk).status in ("done", "failed"), what="the retry")
    again.refresh_from_db()
    assert again.status == "done", again.error
    job.refresh_from_db()
    assert job.status == "failed" and "stopped" in job.error
    files = media_files(tmp_path)
    assert [p.name for p in files] == [Path(again.file.name).name]
    assert files[0].read_bytes() == slow_export.CONTENT


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_failing_render_is_retried_by_the_worker_and_then_succeeds(commissioner_plan, worker_queue, tmp_path):
    plan, user, _ = commissioner_plan
    queue, processes = worker_queue
    slow_export.set_mode(tmp_path, "fail-once")
    worker, log = start_worker(tmp_path, queue)
    processes.append(worker)
    job = exports.request_export(user=user, plan=plan, kind="slow")
    wait_until(lambda: ExportJob.objects.get(pk=job.pk).status in ("done", "failed"), what="the export")
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert "Retry in" in log.read_text()
    assert len(media_files(tmp_path)) == 1


# --- Submission under a database error ---------------------------------------------------------------


@pytest.fixture
def signed_off(db):
    from governance import services
    from tests.governance.conftest import sign_all
    from tests.governance.workflow_plans import build_workflow_plan

    cast = build_workflow_plan()
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast)
    assert cast.plan.status == Plan.Status.SIGNED_OFF
    return cast


def test_a_database_error_during_submission_leaves_no_partial_submission(signed_off, settings, tmp_path):
    from governance import services
    from governance.models import PlanEvent, Submission

    settings.MEDIA_ROOT = tmp_path / "media"
    cast = signed_off
    events_before = PlanEvent.objects.filter(plan=cast.plan).count()
    with connection.cursor() as cursor:
        # A real PostgreSQL error on the last insert of the submission (the Submission row itself).
        cursor.execute(
            "CREATE FUNCTION h7_refuse_submission() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'simulated failure writing the submission'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER h7_refuse_submission BEFORE INSERT ON governance_submission "
            "FOR EACH ROW EXECUTE FUNCTION h7_refuse_submission()"
        )
    with pytest.raises(DatabaseError):
        services.submit_plan(user=cast.commissioner, plan=cast.plan)

    cast.plan.refresh_from_db()
    assert cast.plan.status == Plan.Status.SIGNED_OFF
    assert not Submission.objects.filter(plan=cast.plan).exists()
    assert PlanEvent.objects.filter(plan=cast.plan).count() == events_before
    assert media_files(tmp_path) == [], "the failed submission left files in MEDIA_ROOT"

    # Once the database is healthy again the same plan submits normally.
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER h7_refuse_submission ON governance_submission")
    with TestCase.captureOnCommitCallbacks(execute=True):  # the files are rendered once it is committed
        submission = services.submit_plan(user=cast.commissioner, plan=cast.plan)
    assert submission.pk and len(media_files(tmp_path)) == 2
