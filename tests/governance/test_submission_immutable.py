"""A Submission's snapshot, PDF and workbook cannot be changed, and their stored hashes match the files."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, models, transaction

from governance import services
from governance.models import Submission, SubmissionIsImmutable
from governance.snapshots import canonical_json
from tests.governance.conftest import submit


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_bytes(field) -> bytes:
    with field.storage.open(field.name, "rb") as handle:
        return handle.read()


def _assert_unchanged(submission: Submission, original: dict):
    fresh = Submission.objects.get(pk=submission.pk)
    assert {
        "snapshot": fresh.snapshot,
        "snapshot_sha256": fresh.snapshot_sha256,
        "pdf": fresh.pdf.name,
        "pdf_sha256": fresh.pdf_sha256,
        "workbook": fresh.workbook.name,
        "workbook_sha256": fresh.workbook_sha256,
    } == original


@pytest.fixture
def frozen(submitted):
    cast, submission = submitted
    submission = Submission.objects.get(pk=submission.pk)
    original = {
        "snapshot": submission.snapshot,
        "snapshot_sha256": submission.snapshot_sha256,
        "pdf": submission.pdf.name,
        "pdf_sha256": submission.pdf_sha256,
        "workbook": submission.workbook.name,
        "workbook_sha256": submission.workbook_sha256,
    }
    return cast, submission, original


def test_stored_hashes_match_the_snapshot_pdf_and_workbook(frozen):
    _, submission, _ = frozen
    assert _sha(canonical_json(submission.snapshot)) == submission.snapshot_sha256
    pdf = _file_bytes(submission.pdf)
    workbook = _file_bytes(submission.workbook)
    assert pdf.startswith(b"%PDF-") and _sha(pdf) == submission.pdf_sha256
    assert workbook.startswith(b"PK") and _sha(workbook) == submission.workbook_sha256
    # The snapshot carries the signatures it was submitted with, bound to its content hash.
    assert {s["content_hash"] for s in submission.snapshot["signoffs"]} == {submission.snapshot["content_hash"]}


def test_orm_save_of_a_changed_submission_is_refused(frozen):
    _, submission, original = frozen
    submission.snapshot = {"content": "rewritten"}
    submission.pdf_sha256 = "0" * 64
    with pytest.raises(SubmissionIsImmutable):
        submission.save()
    _assert_unchanged(submission, original)


def test_queryset_update_and_delete_are_refused(frozen):
    _, submission, original = frozen
    with pytest.raises(SubmissionIsImmutable):
        Submission.objects.filter(pk=submission.pk).update(workbook_sha256="0" * 64)
    with pytest.raises(SubmissionIsImmutable):
        Submission.objects.filter(pk=submission.pk).delete()
    with pytest.raises(SubmissionIsImmutable):
        submission.delete()
    _assert_unchanged(submission, original)


def test_the_database_refuses_an_update_that_bypasses_the_model(frozen):
    _, submission, original = frozen
    # Django's own QuerySet.update, past the refusing manager: PostgreSQL's trigger stops it.
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        models.QuerySet.update(Submission.objects.filter(pk=submission.pk), snapshot={"content": "rewritten"})
    _assert_unchanged(submission, original)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE governance_submission SET snapshot = '{}'::jsonb WHERE id = %s",
        "UPDATE governance_submission SET pdf = 'submissions/forged.pdf', pdf_sha256 = '' WHERE id = %s",
        "UPDATE governance_submission SET workbook_sha256 = repeat('0', 64) WHERE id = %s",
        "DELETE FROM governance_submission WHERE id = %s",
    ],
)
def test_raw_sql_update_or_delete_is_refused(frozen, sql):
    _, submission, original = frozen
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [submission.pk])
    _assert_unchanged(submission, original)


def test_stored_files_are_never_overwritten(frozen):
    cast, submission, original = frozen
    # Writing to the same name gets a new name; the submitted file keeps its bytes.
    new_name = default_storage.save(submission.pdf.name, ContentFile(b"%PDF-forged"))
    assert new_name != submission.pdf.name
    assert _sha(_file_bytes(submission.pdf)) == submission.pdf_sha256
    # A second version gets files of its own, and version 1's still match their hashes.
    services.return_for_changes(user=cast.assurer, plan=cast.plan, comment="Add the DFG plan.")
    second = submit(cast)
    assert {second.pdf.name, second.workbook.name}.isdisjoint({submission.pdf.name, submission.workbook.name})
    assert _sha(_file_bytes(submission.pdf)) == submission.pdf_sha256
    assert _sha(_file_bytes(submission.workbook)) == submission.workbook_sha256
    _assert_unchanged(submission, original)
