"""The Part 1 PDF through the shared export mechanism: a real Celery worker on Redis, reuse, scoping."""

import io
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from accounts import models as am
from governance import exports
from governance.models import ExportJob
from governance.pdf import render_plan_pdf
from plans import models as pm
from tests import factories as f
from tests.governance.test_pdf import page_texts

REDIS_DB_FOR_THESE_TESTS = "redis://127.0.0.1:6379/3"


@pytest.fixture
def celery_test_broker():
    """This suite's worker uses Redis db 3 (other suites use their own)."""
    return REDIS_DB_FOR_THESE_TESTS


def wait_for(job: ExportJob, timeout=120) -> ExportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
            return job
        time.sleep(0.3)
    raise AssertionError(f"PDF export still {job.status} after {timeout}s")


def renders_in(log) -> int:
    """How many render tasks the worker has received."""
    return sum(
        line.endswith(" received") for line in log.read_text().splitlines() if "governance.tasks.render_export[" in line
    )


def commissioner_of(plan: pm.Plan) -> am.User:
    return f.MembershipFactory(hwb_area=plan.hwb_area, role=am.Membership.Role.COMMISSIONER).user


def export_url(plan: pm.Plan) -> str:
    return reverse(
        "governance:export_request",
        kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, "kind": "pdf"},
    )


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_pdf_export_runs_in_a_real_worker_and_an_unchanged_plan_reuses_the_stored_pdf(live_celery_worker, client):
    plan = f.PlanWithContentFactory(signoffs=False)  # the plan is edited below; an edit would void signatures
    client.force_login(commissioner_of(plan))

    response = client.post(export_url(plan), HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    payload = response.json()
    assert payload["status"] in ("queued", "running")  # not eager: the worker has it
    job = wait_for(ExportJob.objects.get(pk=payload["id"]))
    assert job.status == "done", job.error
    assert renders_in(live_celery_worker.log) == 1

    status = client.get(payload["status_url"]).json()
    assert status["message"] == "Ready to download"
    download = client.get(status["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    body = b"".join(download.streaming_content)
    assert body.startswith(b"%PDF-") and download["X-Content-SHA256"] == job.sha256
    pages = page_texts(body)
    assert "Plymouth" in pages[0] and "Summary of Plan" in " ".join(pages)
    assert PdfReader(io.BytesIO(body)).metadata.title.startswith("Plymouth Better Care Fund plan")

    # Asked again with nothing changed: the same stored file, at once, and no new render.
    again = client.post(export_url(plan), HTTP_ACCEPT="application/json").json()
    assert again["id"] == job.pk and again["status"] == "done"
    time.sleep(2)  # give a stray task time to reach the worker, were one sent
    assert renders_in(live_celery_worker.log) == 1
    assert ExportJob.objects.filter(plan=plan, kind="pdf").count() == 1

    # A changed answer makes a new PDF.
    pm.Answer.objects.filter(plan=plan, question__key="local-authority").update(text="Plymouth City Council (unitary)")
    changed = client.post(export_url(plan), HTTP_ACCEPT="application/json").json()
    assert changed["id"] != job.pk
    new_job = wait_for(ExportJob.objects.get(pk=changed["id"]))
    assert new_job.status == "done" and new_job.content_hash != job.content_hash
    assert renders_in(live_celery_worker.log) == 2
    with new_job.file.open("rb") as stored:
        assert "Plymouth City Council (unitary)" in " ".join(page_texts(stored.read()))


@pytest.mark.django_db
def test_pdf_export_is_reused_by_content_hash_without_rendering_again(django_capture_on_commit_callbacks):
    plan = f.PlanWithContentFactory()
    user = commissioner_of(plan)
    with django_capture_on_commit_callbacks(execute=True):
        first = exports.request_export(user=user, plan=plan, kind="pdf")
    first.refresh_from_db()
    assert first.status == "done", first.error
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = exports.request_export(user=user, plan=plan, kind="pdf")
    assert again.pk == first.pk and callbacks == []  # nothing queued, nothing rendered


@pytest.mark.django_db
def test_commissioner_of_another_area_cannot_export_or_download_the_pdf(client, django_capture_on_commit_callbacks):
    plan = f.PlanWithContentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.request_export(user=commissioner_of(plan), plan=plan, kind="pdf")
    job.refresh_from_db()
    assert job.status == "done"

    outsider = f.MembershipFactory(role=am.Membership.Role.COMMISSIONER).user  # commissioner of another area
    client.force_login(outsider)
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, "job_id": job.pk}
    for response in [
        client.post(export_url(plan), HTTP_ACCEPT="application/json"),
        client.get(reverse("governance:export_status", kwargs=kwargs)),
        client.get(reverse("governance:export_download", kwargs=kwargs)),
    ]:
        assert response.status_code == 404
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"%PDF" not in content and b"Plymouth" not in content
    assert ExportJob.objects.filter(plan=plan).count() == 1  # the outsider queued nothing


@pytest.mark.django_db
def test_plan_overview_offers_the_pdf_export_and_then_its_download(client, django_capture_on_commit_callbacks):
    plan = f.PlanWithContentFactory()
    client.force_login(commissioner_of(plan))
    overview = reverse(
        "plans:plan_overview", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    )
    page = client.get(overview).content.decode()
    assert 'id="export-pdf"' in page and "Export the Part 1 plan (PDF)" in page
    assert export_url(plan) in page

    # Without JavaScript: the form posts, the export runs (eagerly here) and the page offers the download.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(export_url(plan), {"next": overview})
    assert response.status_code == 302 and response["Location"] == f"{overview}#export-pdf"
    page = client.get(overview).content.decode()
    job = ExportJob.objects.get(plan=plan, kind="pdf")
    download = reverse(
        "governance:export_download",
        kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, "job_id": job.pk},
    )
    assert "Ready to download" in page and download in page
    assert b"".join(client.get(download).streaming_content).startswith(b"%PDF-")


@pytest.mark.django_db
def test_export_plan_command_writes_the_same_pdf(tmp_path):
    plan = f.PlanWithContentFactory()
    out = tmp_path / "plymouth.pdf"
    call_command(
        "export_plan",
        "--area",
        "E06000026",
        "--round",
        plan.round.slug,
        "--format",
        "pdf",
        "--out",
        str(out),
        stdout=io.StringIO(),
    )
    written = out.read_bytes()
    assert written == render_plan_pdf(plan)  # WeasyPrint output is deterministic for the same content
    assert page_texts(written)[0].startswith("DRAFT")
    assert not list(tmp_path.glob("*.part"))  # no half-written file left behind
