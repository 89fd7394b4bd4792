"""Once a plan is submitted, its pages offer the submitted PDF and workbook, never an older draft export.

The Part 1 PDF shows the plan's status and signatures, so an export made while the plan was a
draft is not the plan any more once it has been signed off, submitted or decided.
"""

import io
import re

import pytest
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from governance import pdf, services
from governance.models import ExportJob, Submission
from governance.snapshots import read_plan_snapshot
from plans.models import Plan
from rounds.models import KeyLineOfEnquiry, OutcomeCategory
from tests.governance.conftest import sign_all, submit

S = Plan.Status


def _url(name: str, plan: Plan, **kwargs) -> str:
    return reverse(name, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, **kwargs})


def _export(client, plan: Plan, kind: str) -> ExportJob:
    with TestCase.captureOnCommitCallbacks(execute=True):  # eager Celery renders it on commit
        client.post(_url("governance:export_request", plan, kind=kind))
    job = ExportJob.objects.filter(plan=plan, kind=kind).latest("created_at")
    assert job.status == ExportJob.Status.DONE, job.error
    return job


def _panel(page: str, kind: str) -> str:
    """The export panel's HTML: its <div id="export-{kind}"> up to the matching </div>."""
    start = page.rindex("<div", 0, page.index(f'id="export-{kind}"'))
    depth = 0
    for tag in re.finditer(r"<div\b|</div>", page[start:]):
        depth += 1 if tag.group(0) == "<div" else -1
        if depth == 0:
            return page[start : start + tag.end()]
    raise AssertionError(f"the {kind} export panel is not closed")


def _download_links(panel: str) -> list[str]:
    return re.findall(r'<a class="govuk-link app-export-panel__download" href="([^"]+)"', panel)


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _approve(cast) -> None:
    plan = cast.plan
    ratings = {k.pk: ("met", "") for k in KeyLineOfEnquiry.objects.filter(round=plan.round)}
    services.rate_kloes(user=cast.assurer, plan=plan, ratings=ratings)
    outcome = OutcomeCategory.objects.get(round=plan.round, code="approved")
    services.decide(user=cast.assurer, plan=plan, outcome=outcome, summary="A sound plan.")
    plan.refresh_from_db()
    assert plan.status == S.APPROVED


def test_the_task_list_offers_the_submitted_pdf_not_the_old_draft_export(client, cast):
    plan = cast.plan
    client.force_login(cast.commissioner)
    draft = _export(client, plan, "pdf")
    draft_link = _url("governance:export_download", plan, job_id=draft.pk)
    assert _download_links(_panel(client.get(_url("plans:plan_overview", plan)).content.decode(), "pdf")) == [
        draft_link
    ]
    assert "DRAFT" in _pdf_text(draft.file.read())

    submission = submit(cast)
    submitted_link = _url("governance:download", plan, version=submission.version, kind="pdf")
    for stage in ("submitted", "approved"):
        if stage == "approved":
            _approve(cast)
        client.force_login(cast.commissioner)
        panel = _panel(client.get(_url("plans:plan_overview", plan)).content.decode(), "pdf")
        assert _download_links(panel) == [submitted_link], stage
        assert draft_link not in panel and "as submitted on" in panel
        body = b"".join(client.get(submitted_link).streaming_content)
        text = _pdf_text(body)
        assert "DRAFT" not in text and "Not signed" not in text, stage
        assert "Cllr Maureen Worby" in text and "Conor Burke" in text, stage
        assert body == Submission.objects.get(pk=submission.pk).pdf.read()


def test_the_finance_summary_offers_the_submitted_workbook(client, cast):
    plan = cast.plan
    client.force_login(cast.commissioner)
    draft = _export(client, plan, "xlsx")
    submission = submit(cast)
    client.force_login(cast.commissioner)
    panel = _panel(client.get(_url("finance:summary", plan)).content.decode(), "xlsx")
    assert _download_links(panel) == [_url("governance:download", plan, version=submission.version, kind="xlsx")]
    assert _url("governance:export_download", plan, job_id=draft.pk) not in panel


def test_an_export_made_before_the_plan_changed_status_is_not_offered(client, cast):
    plan = cast.plan
    client.force_login(cast.commissioner)
    draft = _export(client, plan, "pdf")
    services.send_for_signoff(user=cast.commissioner, plan=plan)
    plan.refresh_from_db()

    panel = _panel(client.get(_url("plans:plan_overview", plan)).content.decode(), "pdf")

    assert _download_links(panel) == []  # the draft's PDF says "Draft"; the plan no longer does
    assert "Export the Part 1 plan (PDF)" in panel
    fresh = _export(client, plan, "pdf")
    assert fresh.pk != draft.pk and "Ready for sign-off" in _pdf_text(fresh.file.read())
    panel = _panel(client.get(_url("plans:plan_overview", plan)).content.decode(), "pdf")
    assert _download_links(panel) == [_url("governance:export_download", plan, job_id=fresh.pk)]


def test_the_pdf_cache_key_changes_with_the_status_and_every_signature(cast):
    plan = cast.plan
    keys = [pdf.part1_content_hash(read_plan_snapshot(plan))]
    services.send_for_signoff(user=cast.commissioner, plan=plan)
    keys.append(pdf.part1_content_hash(read_plan_snapshot(plan)))
    for slot in ("hwb", "council", "ccg"):
        sign_all(cast, slots=(slot,))
        keys.append(pdf.part1_content_hash(read_plan_snapshot(plan)))
    assert plan.status == S.SIGNED_OFF
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.submit_plan(user=cast.commissioner, plan=plan)
    keys.append(pdf.part1_content_hash(read_plan_snapshot(plan)))
    assert len(set(keys)) == len(keys) == 6


@pytest.mark.parametrize("stage", ["rendering", "failed"])
def test_the_task_list_shows_the_submitted_files_progress_until_they_exist(client, signed_plan, stage):
    cast = signed_plan
    with TestCase.captureOnCommitCallbacks(execute=False):  # the worker has not got to it yet
        submission = services.submit_plan(user=cast.commissioner, plan=cast.plan)
    if stage == "failed":
        Submission.objects.filter(pk=submission.pk).record_rendering(files_status="failed", files_error="Test")
    client.force_login(cast.viewer)
    panel = _panel(client.get(_url("plans:plan_overview", cast.plan)).content.decode(), "pdf")
    assert _download_links(panel) == []
    assert f'data-status-url="{_url("governance:submission_progress", cast.plan, version=1)}"' in panel
    retry = f'action="{_url("governance:submission_retry", cast.plan, version=1)}"'
    assert retry in panel
    assert (f'{retry} class="app-export-panel__form" novalidate hidden' in panel) == (stage == "rendering")
