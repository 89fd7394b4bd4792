"""A Submission's snapshot, PDF, workbook and documents cannot be changed, and their hashes match the files.

Every file a submission refers to is covered: its PDF and workbook (with the SHA-256 recorded when
the worker stored them) and every supporting document named in its snapshot (stored by content,
so the name is the SHA-256 of the bytes).
"""

import hashlib
from pathlib import PurePosixPath

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, models, transaction
from django.test import TestCase
from django.urls import reverse

from governance import services
from governance.models import Submission, SubmissionIsImmutable
from governance.snapshots import canonical_json
from plans import services as plan_services
from plans.forms import check_upload
from plans.models import RelatedDocument
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


# --- Every file a submission refers to, supporting documents included -----------------------------

SECTION_75 = b"%PDF-1.4\n% Section 75 agreement, signed 2017\n%%EOF\n"
DFG_PLAN = b"%PDF-1.4\n% Disabled Facilities Grant plan\n%%EOF\n"
SECTION_75_REVISED = b"%PDF-1.4\n% Section 75 agreement, revised after assurance\n%%EOF\n"


def _upload(filename: str, data: bytes) -> tuple[SimpleUploadedFile, str]:
    upload = SimpleUploadedFile(filename, data, content_type="application/pdf")
    return upload, check_upload(upload)


def _add_document(cast, ref: str, filename: str, data: bytes) -> RelatedDocument:
    upload, kind = _upload(filename, data)
    return plan_services.save_document(
        user=cast.commissioner,
        plan=cast.plan,
        document_id=None,
        values={"ref": ref, "title": filename.removesuffix(".pdf"), "synopsis": "", "url": ""},
        version=None,
        upload=upload,
        upload_kind=kind,
    )


def files_referred_to(submission: Submission) -> dict[str, str]:
    """Every stored file the submission refers to, by name, with the SHA-256 its bytes must have."""
    files = {submission.pdf.name: submission.pdf_sha256, submission.workbook.name: submission.workbook_sha256}
    for document in submission.snapshot["content"]["documents"]:
        if document["file"]:
            files[document["file"]] = PurePosixPath(document["file"]).stem  # stored by content
    return files


def _assert_files_kept(files: dict[str, str]) -> None:
    for name, sha256 in files.items():
        assert default_storage.exists(name), f"{name} was deleted"
        with default_storage.open(name, "rb") as handle:
            assert _sha(handle.read()) == sha256, f"{name} was changed"


def _document_url(cast, name: str, document: RelatedDocument) -> str:
    plan = cast.plan
    return reverse(name, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, "pk": document.pk})


def _replace_file(client, cast, document: RelatedDocument, filename: str, data: bytes):
    upload = SimpleUploadedFile(filename, data, content_type="application/pdf")
    fields = {"version": document.version, "ref": document.ref, "title": document.title, "synopsis": "", "url": ""}
    # Run the on-commit hooks as a commit would (they are where a replaced file used to be deleted).
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(_document_url(cast, "plans:document_change", document), {**fields, "upload": upload})
    assert response.status_code == 302


@pytest.fixture
def cast_with_documents(cast):
    _add_document(cast, "D1", "Section 75 agreement.pdf", SECTION_75)
    _add_document(cast, "D2", "DFG plan.pdf", DFG_PLAN)
    return cast


def test_replacing_a_document_after_reopening_keeps_the_file_the_earlier_submission_refers_to(
    cast_with_documents, client
):
    cast = cast_with_documents
    first = submit(cast)
    [submitted_file] = [d["file"] for d in first.snapshot["content"]["documents"] if d["ref"] == "D1"]
    services.return_for_changes(user=cast.assurer, plan=cast.plan, comment="Attach the revised agreement.")
    client.force_login(cast.commissioner)
    document = RelatedDocument.objects.get(plan=cast.plan, ref="D1")

    _replace_file(client, cast, document, "Section 75 agreement (revised).pdf", SECTION_75_REVISED)

    document.refresh_from_db()
    assert document.file.name != submitted_file  # the new file has a name of its own
    with default_storage.open(submitted_file, "rb") as handle:
        assert handle.read() == SECTION_75  # version 1's evidence is still there, unchanged
    download = client.get(_document_url(cast, "plans:document_download", document))
    assert b"".join(download.streaming_content) == SECTION_75_REVISED
    assert 'filename="Section 75 agreement (revised).pdf"' in download["Content-Disposition"]


def test_every_file_a_submission_refers_to_is_kept_unchanged(cast_with_documents, client):
    cast = cast_with_documents
    first = submit(cast)
    files = files_referred_to(first)
    assert len(files) == 4  # the PDF, the workbook and both documents
    _assert_files_kept(files)

    # Reopened, one document's file replaced and the other document removed, then submitted again.
    services.return_for_changes(user=cast.assurer, plan=cast.plan, comment="Attach the revised agreement.")
    client.force_login(cast.commissioner)
    d1, d2 = RelatedDocument.objects.filter(plan=cast.plan).order_by("ref")
    _replace_file(client, cast, d1, "Section 75 agreement.pdf", SECTION_75_REVISED)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(_document_url(cast, "plans:document_remove", d2), {"version": d2.version})
    assert response.status_code == 302 and not RelatedDocument.objects.filter(pk=d2.pk).exists()
    second = submit(cast)

    _assert_files_kept(files)
    _assert_files_kept(files_referred_to(second))
    assert set(files_referred_to(second)) - set(files) == {
        second.pdf.name,
        second.workbook.name,
        RelatedDocument.objects.get(pk=d1.pk).file.name,
    }


def test_the_same_bytes_are_stored_once_under_their_sha256(cast):
    first = _add_document(cast, "D1", "agreement.pdf", SECTION_75)
    again = _add_document(cast, "D2", "agreement (copy).pdf", SECTION_75)
    other = _add_document(cast, "D3", "dfg.pdf", DFG_PLAN)
    assert first.file.name == again.file.name == f"documents/sha256/{_sha(SECTION_75)[:2]}/{_sha(SECTION_75)}.pdf"
    assert other.file.name != first.file.name
    assert (first.original_filename, again.original_filename) == ("agreement.pdf", "agreement (copy).pdf")


# --- The files are recorded once, after the submission is committed ----------------------------


def test_a_submission_records_its_files_once_and_nothing_else_ever_changes(signed_plan):
    from governance.tasks import render_submission_files

    cast = signed_plan
    with TestCase.captureOnCommitCallbacks(execute=False):  # the worker has not got to it yet
        submission = services.submit_plan(user=cast.commissioner, plan=cast.plan)
    pending = Submission.objects.filter(pk=submission.pk)
    assert pending.get().files_status == Submission.FilesStatus.RENDERING

    def refused(sql: str):
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [submission.pk])

    # Even before its files exist, what was submitted cannot change, nor can half the files be recorded.
    refused("UPDATE governance_submission SET snapshot = '{}'::jsonb, files_status = 'failed' WHERE id = %s")
    refused("UPDATE governance_submission SET submitted_at = now() WHERE id = %s")
    refused(
        "UPDATE governance_submission SET pdf = 'submissions/forged.pdf', pdf_sha256 = repeat('a', 64),"
        " files_status = 'done' WHERE id = %s"
    )
    with pytest.raises(SubmissionIsImmutable):
        pending.record_rendering(snapshot={})
    # Progress may be recorded while the files are being created.
    assert pending.record_rendering(files_status=Submission.FilesStatus.FAILED, files_error="Try 1 failed") == 1

    render_submission_files.apply(args=(submission.pk,))  # the worker, now
    done = pending.get()
    assert done.files_status == Submission.FilesStatus.DONE and done.files_error == ""
    assert pending.record_rendering(files_status=Submission.FilesStatus.RENDERING) == 0
    refused("UPDATE governance_submission SET files_status = 'failed', files_error = 'x' WHERE id = %s")
    refused(
        "UPDATE governance_submission SET pdf = '', pdf_sha256 = '', workbook = '', workbook_sha256 = '',"
        " files_status = 'rendering' WHERE id = %s"
    )
    assert render_submission_files.apply(args=(submission.pk,)).get() == "skipped"  # a redelivered task
    assert pending.get().pdf.name == done.pdf.name
