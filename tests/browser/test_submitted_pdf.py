"""A submission's files in Chromium.

With a real Celery worker: submitting shows the files' progress, then their links, and the task
list offers the submitted PDF (no DRAFT mark, signatures shown), never the old draft export.
Without a broker: a failed render is asked for again with "Try again", and the links appear.
"""

import io
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from governance import services
from governance.models import ExportJob, Submission
from plans.models import Plan
from rounds.models import HwbArea, KeyLineOfEnquiry, OutcomeCategory
from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in
from tests.factories import DEMO_PASSWORD
from tests.governance.conftest import sign_all
from tests.governance.workflow_plans import build_workflow_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIGNATORIES = ("Cllr Maureen Worby", "Chris Naylor", "Conor Burke")


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _offered_pdf(page, base: str) -> tuple[str, str]:
    """The task list's PDF link and the text of the file it downloads."""
    link = page.locator("#export-pdf .app-export-panel__download")
    expect(link).to_have_count(1)
    href = link.get_attribute("href")
    response = page.request.get(base + href)
    assert response.ok and response.body().startswith(b"%PDF-")
    return href, _pdf_text(response.body())


@pytest.mark.celery_worker
def test_after_submission_and_approval_the_task_list_offers_the_submitted_pdf(live_celery_worker, live_server, page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    cast = build_workflow_plan()
    plan = cast.plan
    base = live_server.url
    task_list = f"{base}/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/"
    status_page = f"{task_list}governance/"

    # A draft PDF is exported from the task list, as the commissioner would for a board paper.
    sign_in(page, base, cast.commissioner.email, DEMO_PASSWORD)
    page.goto(task_list)
    page.locator("#export-pdf").get_by_role("button", name="Export the Part 1 plan (PDF)").click()
    page.locator("#export-pdf .app-export-panel__download").wait_for(timeout=120_000)
    draft_href, draft_text = _offered_pdf(page, base)
    assert "DRAFT" in draft_text and "Not signed" in draft_text
    assert ExportJob.objects.filter(plan=plan, kind="pdf", status="done").count() == 1

    services.send_for_signoff(user=cast.commissioner, plan=plan)
    sign_all(cast)

    # Submitting returns at once; the page shows the files' progress, then (reloading itself) their links.
    page.goto(status_page)
    page.get_by_role("link", name="Submit the plan").click()
    page.get_by_role("button", name="Submit the plan").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Version 1 of the plan has been submitted."
    )
    progress = page.locator("#submissions .app-submission-files")
    expect(progress).to_contain_text("the PDF and workbook")
    assert_no_axe_violations(page, "plan status while the files are created")
    save_screenshot(page, "submission-files-progress")
    expect(page.locator("#submissions").get_by_role("link", name="Part 1 PDF")).to_be_visible(timeout=120_000)
    expect(progress).to_have_count(0)
    submission = Submission.objects.get(plan=plan, version=1)
    assert submission.files_status == Submission.FilesStatus.DONE
    save_screenshot(page, "submission-files-ready")

    for stage in ("submitted", "approved"):
        page.goto(task_list)
        panel = page.locator("#export-pdf")
        expect(panel).to_contain_text("as submitted on")
        href, text = _offered_pdf(page, base)
        assert href != draft_href and href.endswith("/governance/submissions/1/pdf/"), stage
        assert "DRAFT" not in text and "Not signed" not in text, stage
        assert all(name in text for name in SIGNATORIES), stage
        assert panel.get_by_role("button").count() == 0  # no export of its own: the submission is the PDF
        if stage == "submitted":
            assert_no_axe_violations(page, "task list of a submitted plan")
            ratings = {k.pk: ("met", "") for k in KeyLineOfEnquiry.objects.filter(round=plan.round)}
            services.rate_kloes(user=cast.assurer, plan=plan, ratings=ratings)
            approved = OutcomeCategory.objects.get(round=plan.round, code="approved")
            services.decide(user=cast.assurer, plan=plan, outcome=approved, summary="A sound plan.")
    save_screenshot(page, "task-list-approved-plan-pdf")
    assert errors == []


def test_try_again_after_a_failed_render_shows_the_links(live_server, page, settings):
    """Without a broker (eager Celery) the render runs on commit; a failed one is asked for again from the page."""
    cast = build_workflow_plan()
    HwbArea.objects.filter(pk=cast.plan.hwb_area_id).update(ons_code=f"E{uuid.uuid4().int % 10**8:08d}")
    plan = cast.plan = Plan.objects.select_related("round", "hwb_area").get(pk=cast.plan.pk)
    services.send_for_signoff(user=cast.commissioner, plan=plan)
    sign_all(cast)
    # A real fault: a file stands where the area's directory of submitted files must be created.
    blocker = Path(settings.MEDIA_ROOT) / "submissions" / plan.round.slug / plan.hwb_area.ons_code
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a directory")
    try:
        submission = services.submit_plan(user=cast.commissioner, plan=plan)
    finally:
        blocker.unlink()
    submission.refresh_from_db()
    assert submission.files_status == Submission.FilesStatus.FAILED

    sign_in(page, live_server.url, cast.viewer.email, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/governance/")
    files = page.locator("#submissions .app-submission-files")
    expect(files).to_contain_text("The PDF and workbook could not be created. Try again.")
    assert_no_axe_violations(page, "plan status with failed files")
    files.get_by_role("button", name="Try again").click()
    expect(page.locator("#submissions").get_by_role("link", name="Part 1 PDF")).to_be_visible(timeout=60_000)
    assert Submission.objects.get(pk=submission.pk).files_status == Submission.FilesStatus.DONE
