"""A submission's PDF and workbook are rendered by a worker after the submission is committed.

Submitting returns at once, however big the plan; the worker renders and stores the files with
their SHA-256; the pages show progress, then the links. The plan cannot be assured or returned
until the files exist, so they show it exactly as submitted. A failing render is retried, then
shown as failed with "Try again". Without a broker (the embedded default) Celery runs eagerly and
the files are rendered right after the submission is committed.
"""

import hashlib
import io
import time
import uuid
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from governance import services
from governance.models import PlanEvent, SignOff, Submission
from plans.models import Answer, Plan
from rounds.models import HwbArea, KeyLineOfEnquiry
from tests.governance.conftest import sign_all
from tests.governance.workflow_plans import build_workflow_plan

S = Plan.Status
# gunicorn's default worker timeout (docker-compose.yml sets none): a longer request is killed with a 500.
REQUEST_TIMEOUT_S = 30
PARAGRAPH = (
    "Partners across the area will bring community health, social care and voluntary services together "
    "around neighbourhoods of 30,000 to 50,000 people, so that people get joined-up support close to home. "
)


def _url(name: str, plan: Plan, **kwargs) -> str:
    return reverse(name, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, **kwargs})


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(field) -> bytes:
    with field.storage.open(field.name, "rb") as handle:
        return handle.read()


def _pdf_text(data: bytes) -> str:
    """The PDF's words, with table cells' line breaks as plain spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _wait_until(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def _files_status(submission_id: int) -> str:
    return Submission.objects.values_list("files_status", flat=True).get(pk=submission_id)


def _signed_off() -> object:
    cast = build_workflow_plan()
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast)
    assert cast.plan.status == S.SIGNED_OFF
    return cast


def _submit_through_the_page(client, cast):
    client.force_login(cast.commissioner)
    started = time.monotonic()
    response = client.post(_url("governance:submit", cast.plan))
    return response, time.monotonic() - started


def _assert_shows_the_plan_as_submitted(submission: Submission) -> None:
    pdf, workbook = _read(submission.pdf), _read(submission.workbook)
    assert _sha(pdf) == submission.pdf_sha256 and _sha(workbook) == submission.workbook_sha256
    text = _pdf_text(pdf)
    assert "DRAFT" not in text and "Submitted" in text and "Version 1" in text
    for signatory in ("Cllr Maureen Worby", "Chris Naylor", "Conor Burke"):
        assert signatory in text
    assert "People in Barking and Dagenham live well at home." in text
    cover = openpyxl.load_workbook(io.BytesIO(workbook))["Cover"]
    assert [row for row in cover.iter_rows(values_only=True) if row[0] == "Plan status"] == [
        ("Plan status", "Submitted")
    ]


# --- With a real worker -----------------------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_big_plan_is_submitted_without_waiting_for_its_pdf(client, live_celery_worker):
    cast = build_workflow_plan()
    chapters, size = [], 0
    while size < 3_000_000:  # a 3 MB narrative: its PDF takes minutes to render
        chapter = (
            f"## Neighbourhood {len(chapters) + 1}\n\n{PARAGRAPH * 4}\n\n- Integrated teams\n- One point of access\n\n"
        )
        chapters.append(chapter)
        size += len(chapter)
    Answer.objects.filter(plan=cast.plan, question__key="vision").update(text="".join(chapters))
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast)

    response, seconds = _submit_through_the_page(client, cast)

    assert response.status_code == 302, response.content[:500]
    assert seconds < REQUEST_TIMEOUT_S, f"submitting took {seconds:.1f} s"
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.SUBMITTED
    submission = Submission.objects.get(plan=cast.plan, version=1)
    assert submission.files_status == "rendering" and not submission.pdf and not submission.workbook
    assert len(submission.snapshot["content"]["sections"][0]["answers"][0]["value"]) >= 3_000_000
    page = client.get(_url("governance:plan_status", cast.plan)).content.decode()
    assert "Version 1 of the plan has been submitted." in page
    assert "Creating the PDF and workbook" in page or "Waiting to create the PDF and workbook" in page
    assert _url("governance:download", cast.plan, version=1, kind="pdf") not in page


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_stores_the_submitted_files_with_their_sha256_and_the_page_shows_progress_then_links(
    client, live_celery_worker
):
    cast = _signed_off()

    response, seconds = _submit_through_the_page(client, cast)

    assert response.status_code == 302 and seconds < REQUEST_TIMEOUT_S
    submission = Submission.objects.get(plan=cast.plan, version=1)
    status_url = _url("governance:submission_progress", cast.plan, version=1)
    pdf_url = _url("governance:download", cast.plan, version=1, kind="pdf")
    page = client.get(_url("governance:plan_status", cast.plan)).content.decode()
    assert f'data-status-url="{status_url}"' in page and pdf_url not in page  # progress, no links yet
    assert client.get(status_url).json()["status"] in ("queued", "running")

    _wait_until(lambda: _files_status(submission.pk) != "rendering", timeout=180, what="the worker")

    submission.refresh_from_db()
    assert submission.files_status == "done", submission.files_error
    _assert_shows_the_plan_as_submitted(submission)
    assert client.get(status_url).json()["status"] == "done"
    page = client.get(_url("governance:plan_status", cast.plan)).content.decode()
    assert pdf_url in page and _url("governance:download", cast.plan, version=1, kind="xlsx") in page
    assert f'data-status-url="{status_url}"' not in page
    download = client.get(pdf_url)
    assert _sha(b"".join(download.streaming_content)) == submission.pdf_sha256


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_failed_render_is_retried_then_shown_as_failed_with_try_again(client, live_celery_worker):
    cast = _signed_off()
    plan = cast.plan
    # An area code of its own, so the directory for its files is new (var/test-media outlives test runs).
    HwbArea.objects.filter(pk=plan.hwb_area_id).update(ons_code=f"E{uuid.uuid4().int % 10**8:08d}")
    plan = cast.plan = Plan.objects.select_related("round", "hwb_area").get(pk=plan.pk)
    # A real fault: a file stands where the worker must create the directory for the area's files.
    blocker = Path(settings.MEDIA_ROOT) / "submissions" / plan.round.slug / plan.hwb_area.ons_code
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a directory")
    try:
        response, _ = _submit_through_the_page(client, cast)
        assert response.status_code == 302
        submission = Submission.objects.get(plan=plan, version=1)
        _wait_until(lambda: _files_status(submission.pk) == "failed", timeout=120, what="three failed tries")
    finally:
        blocker.unlink()

    submission.refresh_from_db()
    assert submission.files_tries == 3 and "Error" in submission.files_error
    assert "Retry in" in live_celery_worker.log.read_text()
    page = client.get(_url("governance:plan_status", plan)).content.decode()
    assert "The PDF and workbook could not be created. Try again." in page
    assert _url("governance:submission_retry", plan, version=1) in page and ">Try again</button>" in page
    # The assurer cannot start on it until the files exist, and is told why.
    with pytest.raises(ValidationError, match="could not be created"):
        services.start_review(user=cast.assurer, plan=plan)

    response = client.post(_url("governance:submission_retry", plan, version=1))

    assert response.status_code == 302
    _wait_until(lambda: _files_status(submission.pk) != "rendering", timeout=180, what="the retried render")
    submission.refresh_from_db()
    assert submission.files_status == "done", submission.files_error
    _assert_shows_the_plan_as_submitted(submission)
    assert PlanEvent.objects.filter(plan=plan, action="submission_files_retried", actor=cast.commissioner).exists()


# --- Without a broker: eager Celery, as `make run` -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_files_are_rendered_right_after_commit(client):
    assert settings.CELERY_TASK_ALWAYS_EAGER
    cast = _signed_off()

    response, _ = _submit_through_the_page(client, cast)

    assert response.status_code == 302
    submission = Submission.objects.get(plan=cast.plan, version=1)
    assert submission.files_status == "done" and submission.files_tries == 1
    _assert_shows_the_plan_as_submitted(submission)
    page = client.get(response["Location"]).content.decode()
    assert "Version 1 of the plan has been submitted." in page and "being created" not in page
    assert _url("governance:download", cast.plan, version=1, kind="pdf") in page


# --- The plan waits for its files ------------------------------------------------------------------


def test_the_plan_is_not_assured_or_returned_until_its_submitted_files_exist(signed_plan):
    cast = signed_plan
    plan = cast.plan
    with TestCase.captureOnCommitCallbacks(execute=False) as worker_not_yet:
        submission = services.submit_plan(user=cast.commissioner, plan=plan)
    ratings = {k.pk: ("met", "") for k in KeyLineOfEnquiry.objects.filter(round=plan.round)}

    for attempt in (
        lambda: services.return_for_changes(user=cast.assurer, plan=plan, comment="Add the DFG plan."),
        lambda: services.start_review(user=cast.assurer, plan=plan),
        lambda: services.rate_kloes(user=cast.assurer, plan=plan, ratings=ratings),
    ):
        with pytest.raises(ValidationError, match="still being created"):
            attempt()
    plan.refresh_from_db()
    assert (plan.status, plan.version) == (S.SUBMITTED, 1)
    assert SignOff.objects.filter(plan=plan, voided_at__isnull=True).count() == 3

    for hook in worker_not_yet:  # the worker gets to it
        hook()

    submission.refresh_from_db()
    assert submission.files_status == "done"
    _assert_shows_the_plan_as_submitted(submission)
    pdf_sha256, workbook_sha256 = submission.pdf_sha256, submission.workbook_sha256
    # Now the plan moves on, and what was submitted stays as it was.
    services.return_for_changes(user=cast.assurer, plan=plan, comment="Add the DFG plan.")
    Answer.objects.filter(plan=plan, question__key="vision").update(text="Rewritten for version 2.")
    submission = Submission.objects.get(pk=submission.pk)
    assert (_sha(_read(submission.pdf)), _sha(_read(submission.workbook))) == (pdf_sha256, workbook_sha256)
    _assert_shows_the_plan_as_submitted(submission)


def test_the_worker_refuses_a_plan_that_no_longer_matches_its_snapshot(signed_plan, client):
    cast = signed_plan
    with TestCase.captureOnCommitCallbacks(execute=False) as worker_not_yet:
        submission = services.submit_plan(user=cast.commissioner, plan=cast.plan)
    # Changed behind the services' back (say, in the database by hand) before the worker got to it.
    Answer.objects.filter(plan=cast.plan, question__key="vision").update(text="Not what was signed.")

    for hook in worker_not_yet:
        hook()

    submission.refresh_from_db()
    assert submission.files_status == "failed" and not submission.pdf
    assert "changed since this version was submitted" in submission.files_error
    client.force_login(cast.viewer)
    progress = client.get(_url("governance:submission_progress", cast.plan, version=1)).json()
    assert progress["status"] == "failed"
    assert "Try again" in progress["message"]
