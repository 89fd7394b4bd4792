"""Workbook exports through the shared export mechanism: a real worker, reuse, failure and retry."""

import dataclasses
import io
import time

import openpyxl
import pytest
from django.urls import reverse

from finance.models import IncomeLine
from governance import exports
from governance.models import ExportJob
from governance.tasks import render_export
from tests.conftest import reset_celery_connections


def wait_for(job: ExportJob, statuses=("done", "failed"), timeout=90) -> ExportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.3)
    raise AssertionError(f"Export job still {job.status} after {timeout}s")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_workbook_export_runs_in_a_real_celery_worker_on_redis(bd_plan, live_celery_worker, client):
    plan, user = bd_plan
    client.force_login(user)
    url = reverse(
        "governance:export_request", kwargs={"round_slug": "2017-19", "ons_code": "E09000002", "kind": "xlsx"}
    )
    response = client.post(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    payload = response.json()
    assert payload["status"] in ("queued", "running")  # not eager: the worker has it
    job = wait_for(ExportJob.objects.get(pk=payload["id"]))
    assert job.status == "done", job.error
    assert "render_export" in live_celery_worker.log.read_text()

    status = client.get(payload["status_url"]).json()
    assert status["status"] == "done" and status["message"] == "Ready to download"
    download = client.get(status["download_url"])
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    wb = openpyxl.load_workbook(io.BytesIO(body))
    assert wb["Identification"]["B1"].value == "E09000002"
    assert download["X-Content-SHA256"] == job.sha256


@pytest.mark.django_db
def test_unchanged_plan_reuses_its_last_export_without_rendering_again(bd_plan, django_capture_on_commit_callbacks):
    plan, user = bd_plan
    with django_capture_on_commit_callbacks(execute=True):
        first = exports.request_export(user=user, plan=plan, kind="xlsx")
    first.refresh_from_db()
    assert first.status == "done"
    modified = first.updated_at
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = exports.request_export(user=user, plan=plan, kind="xlsx")
    assert again.pk == first.pk and callbacks == []  # nothing queued, nothing rendered
    again.refresh_from_db()
    assert again.updated_at == modified and again.file.name == first.file.name

    line = IncomeLine.objects.filter(plan=plan).first()
    line.amount += 1
    line.version += 1
    line.save()
    with django_capture_on_commit_callbacks(execute=True):
        changed = exports.request_export(user=user, plan=plan, kind="xlsx")
    assert changed.pk != first.pk
    changed.refresh_from_db()
    assert changed.status == "done" and changed.content_hash != first.content_hash


@pytest.mark.django_db
def test_render_task_is_idempotent_for_a_finished_job(bd_plan, django_capture_on_commit_callbacks):
    plan, user = bd_plan
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.request_export(user=user, plan=plan, kind="xlsx")
    job.refresh_from_db()
    assert render_export.apply(args=(job.pk,)).get() == "skipped"
    job.refresh_from_db()
    assert job.status == "done"


def broken_renderer(plan):
    raise RuntimeError("The renderer broke")


@pytest.mark.django_db
def test_failed_export_is_shown_as_failed_and_try_again_queues_a_new_job(
    bd_plan, monkeypatch, client, django_capture_on_commit_callbacks
):
    plan, user = bd_plan
    workbook = exports.EXPORT_KINDS["xlsx"]
    monkeypatch.setitem(exports.EXPORT_KINDS, "xlsx", dataclasses.replace(workbook, render=broken_renderer))
    client.force_login(user)
    url = reverse(
        "governance:export_request", kwargs={"round_slug": "2017-19", "ons_code": "E09000002", "kind": "xlsx"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        payload = client.post(url, HTTP_ACCEPT="application/json").json()
    job = ExportJob.objects.get(pk=payload["id"])
    assert job.status == "failed"
    assert "The renderer broke" in job.error
    assert client.get(payload["status_url"]).json()["message"] == "The export failed. Try again."
    monkeypatch.setitem(exports.EXPORT_KINDS, "xlsx", workbook)
    with django_capture_on_commit_callbacks(execute=True):
        retry = client.post(url, HTTP_ACCEPT="application/json").json()
    assert retry["id"] != job.pk
    assert ExportJob.objects.get(pk=retry["id"]).status == "done"


@pytest.mark.django_db
def test_unreachable_broker_leaves_job_queued_and_says_exports_are_delayed(
    bd_plan, client, django_capture_on_commit_callbacks
):
    from bcf_portal.celery import app

    plan, user = bd_plan
    client.force_login(user)
    previous = {k: app.conf.get(k) for k in ("task_always_eager", "broker_url", "broker_connection_timeout")}
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/2", broker_connection_timeout=1)
    reset_celery_connections(app)
    try:
        url = reverse(
            "governance:export_request", kwargs={"round_slug": "2017-19", "ons_code": "E09000002", "kind": "xlsx"}
        )
        with django_capture_on_commit_callbacks(execute=True):
            payload = client.post(url, HTTP_ACCEPT="application/json").json()
    finally:
        app.conf.update(previous)
        reset_celery_connections(app)
    status = client.get(payload["status_url"]).json()  # what the panel sees when it polls
    assert status["status"] == "queued"
    assert status["delayed"] is True
    assert status["message"].startswith("Exports are delayed")
