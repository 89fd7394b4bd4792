"""Submitting a signed-off return: an immutable snapshot with its hash, and files rendered by the worker after commit."""

import datetime
import hashlib
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from django.utils import timezone

from governance.snapshots import canonical_json, sha256_hex
from monitoring import selectors, services, submission_files, tasks, workflow_services
from monitoring.models import Return, ReturnEvent, ReturnSubmission, ReturnSubmissionIsImmutable
from monitoring.workbook import FINANCE_HEADERS
from tests.monitoring.conftest_sign import EXPLANATION, build_return_cast, sign_all, submit_return

pytestmark = pytest.mark.django_db
S = Return.Status


def _read(field) -> bytes:
    with field.storage.open(field.name, "rb") as handle:
        return handle.read()


@pytest.fixture
def signed():
    rc = build_return_cast()
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    sign_all(rc)
    return rc


def test_the_whole_path_ends_in_a_submission_whose_snapshot_hash_matches_and_whose_files_are_stored():
    rc = build_return_cast()
    content_hash = selectors.return_content_hash(rc.ret)

    submission = submit_return(rc)

    assert rc.ret.status == S.SUBMITTED
    assert submission.snapshot_sha256 == sha256_hex(canonical_json(submission.snapshot))
    assert submission.snapshot["content"] == selectors.return_content(rc.ret)
    header = submission.snapshot["header"]
    assert header["area"]["ons_code"] == rc.ret.plan.hwb_area.ons_code
    assert header["round"]["slug"] == rc.ret.plan.round.slug
    assert header["period"]["key"] == "q1-2017-18"
    assert header["version"] == 1 and header["content_sha256"] == content_hash
    assert [s["slot"] for s in header["signatures"]] == ["hwb", "council", "ccg"]
    assert {s["content_hash"] for s in header["signatures"]} == {content_hash}
    assert not submission.is_late
    # The files, rendered on commit, with their SHA-256.
    assert submission.files_status == ReturnSubmission.FilesStatus.DONE
    pdf, workbook = _read(submission.pdf), _read(submission.workbook)
    assert pdf.startswith(b"%PDF") and submission.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert submission.workbook_sha256 == hashlib.sha256(workbook).hexdigest()
    # The stored workbook is the return workbook (a Cover, then a sheet per part): its finance sheet has the explanation.
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    finance = next(ws for ws in book.worksheets if [c.value for c in ws[1]] == FINANCE_HEADERS)
    explained = FINANCE_HEADERS.index("Explanation of variance")
    assert EXPLANATION in [row[explained] for row in finance.iter_rows(min_row=2, values_only=True)]
    event = ReturnEvent.objects.filter(ret=rc.ret, action="submit").get()
    assert (event.from_status, event.to_status, event.actor) == (S.SIGNED_OFF, S.SUBMITTED, rc.commissioner)


def test_a_submitted_return_cannot_be_changed_or_deleted(signed):
    with TestCase.captureOnCommitCallbacks(execute=True):
        submission = workflow_services.submit_return(user=signed.commissioner, ret=signed.ret)
    submission = ReturnSubmission.objects.get(pk=submission.pk)

    submission.snapshot = {"forged": True}
    with pytest.raises(ReturnSubmissionIsImmutable):
        submission.save()
    with pytest.raises(ReturnSubmissionIsImmutable):
        ReturnSubmission.objects.filter(pk=submission.pk).update(snapshot_sha256="0" * 64)
    with pytest.raises(ReturnSubmissionIsImmutable):
        submission.delete()
    with pytest.raises(ReturnSubmissionIsImmutable):
        ReturnSubmission.objects.filter(pk=submission.pk).delete()
    with pytest.raises(ReturnSubmissionIsImmutable):
        ReturnSubmission.objects.bulk_update([submission], ["snapshot"])
    with pytest.raises(ReturnSubmissionIsImmutable):
        ReturnSubmission.objects.filter(pk=submission.pk).record_files(snapshot_sha256="0" * 64)
    # Once recorded, even the files cannot be recorded again.
    assert ReturnSubmission.objects.filter(pk=submission.pk).record_files(pdf_sha256="0" * 64) == 0
    stored = ReturnSubmission.objects.get(pk=submission.pk)
    assert stored.snapshot_sha256 == sha256_hex(canonical_json(stored.snapshot)) != "0" * 64
    assert stored.pdf_sha256 != "0" * 64


def test_a_submitted_return_can_no_longer_be_edited_or_signed(signed):
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow_services.submit_return(user=signed.commissioner, ret=signed.ret)
    line = signed.ret.lines.first()
    with pytest.raises(PermissionDenied):
        services.save_lines(
            user=signed.commissioner,
            ret=signed.ret,
            changes=[services.LineChange(line.pk, line.version, line.actual, line.forecast, "Changed later")],
        )
    with pytest.raises(ValidationError):
        workflow_services.withdraw_from_signoff(user=signed.commissioner, ret=signed.ret)


def test_a_return_not_fully_signed_cannot_be_submitted():
    rc = build_return_cast()
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    with pytest.raises(ValidationError, match="while it is waiting for sign-off"):
        workflow_services.submit_return(user=rc.commissioner, ret=rc.ret)
    assert not ReturnSubmission.objects.exists()


def test_only_a_commissioner_submits(signed):
    for user in (signed.cast.signatories["hwb"], signed.cast.viewer, signed.cast.assurer):
        with pytest.raises(PermissionDenied):
            workflow_services.submit_return(user=user, ret=signed.ret)
    assert not ReturnSubmission.objects.exists()


def test_a_return_submitted_after_the_period_deadline_is_late():
    rc = build_return_cast(deadline=timezone.now() - datetime.timedelta(days=1))
    submission = submit_return(rc)
    assert submission.is_late
    assert ReturnEvent.objects.get(ret=rc.ret, action="submit").detail["is_late"] is True


def test_the_render_task_is_queued_on_commit_and_renders_when_run(signed, monkeypatch):
    with TestCase.captureOnCommitCallbacks(execute=False) as on_commit:
        submission = workflow_services.submit_return(user=signed.commissioner, ret=signed.ret)
    assert ReturnSubmission.objects.get(pk=submission.pk).files_status == ReturnSubmission.FilesStatus.RENDERING
    queued = []
    monkeypatch.setattr(tasks.render_return_files, "apply_async", lambda args, **kw: queued.append(args))

    for hook in on_commit:
        hook()

    assert queued == [(submission.pk,)]
    # The worker: the task function itself, run directly.
    assert tasks.render_return_files(submission.pk) == "done"
    stored = ReturnSubmission.objects.get(pk=submission.pk)
    assert stored.files_status == ReturnSubmission.FilesStatus.DONE
    assert stored.pdf_sha256 == hashlib.sha256(_read(stored.pdf)).hexdigest()
    # A redelivered task does nothing once the files are recorded.
    assert tasks.render_return_files(submission.pk) == "skipped"


def test_a_failed_render_is_recorded_and_can_be_tried_again(signed, monkeypatch):
    with TestCase.captureOnCommitCallbacks(execute=False):
        submission = workflow_services.submit_return(user=signed.commissioner, ret=signed.ret)

    def broken(_submission):
        raise RuntimeError("WeasyPrint ran out of memory")

    monkeypatch.setattr(submission_files, "render", broken)
    assert tasks.render_return_files.apply(args=(submission.pk,)).get() == "failed"
    failed = ReturnSubmission.objects.get(pk=submission.pk)
    assert failed.files_status == ReturnSubmission.FilesStatus.FAILED
    assert "ran out of memory" in failed.files_error
    monkeypatch.undo()

    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow_services.retry_submission_files(user=signed.commissioner, ret=signed.ret, version=1)

    done = ReturnSubmission.objects.get(pk=submission.pk)
    assert done.files_status == ReturnSubmission.FilesStatus.DONE and done.files_error == ""
    assert ReturnEvent.objects.filter(ret=signed.ret, action="submission_files_retried").exists()


def test_the_worker_refuses_a_return_that_no_longer_matches_its_snapshot(signed):
    with TestCase.captureOnCommitCallbacks(execute=False):
        submission = workflow_services.submit_return(user=signed.commissioner, ret=signed.ret)
    line = signed.ret.lines.first()
    type(line).objects.filter(pk=line.pk).update(explanation="Rewritten behind the snapshot's back")

    assert tasks.render_return_files(submission.pk) == "failed"
    stored = ReturnSubmission.objects.get(pk=submission.pk)
    assert stored.files_status == ReturnSubmission.FilesStatus.FAILED and not stored.pdf
