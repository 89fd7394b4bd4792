"""A submitted return's PDF and workbook, rendered by a Celery worker after the submission is committed.

As for plans (governance.submission_files): the request freezes the snapshot; the worker renders the
files, stores them under fresh names with their SHA-256 (ReturnSubmission.objects.record_files, the
one change a submission allows), and a failure is recorded so the sign-off page offers "Try again".
"""

import logging

from django.core.files.base import ContentFile
from django.db import transaction

from governance.snapshots import sha256_hex

from . import selectors
from .models import ReturnSubmission

logger = logging.getLogger(__name__)

Status = ReturnSubmission.FilesStatus
BROKER_UNREACHABLE = "The service that creates the files could not be reached. They will be created when it is back."


class ReturnMovedOn(Exception):
    """The return no longer matches the submission's snapshot, so it cannot be rendered as submitted."""


def enqueue(submission_id: int) -> None:
    """Send the submission to the worker; if the broker is down it stays rendering and says why."""
    from .tasks import render_return_files  # the task module imports this one

    try:
        render_return_files.apply_async((submission_id,), retry=False)
    except Exception:  # kombu raises several kinds when the broker is unreachable
        logger.exception("Could not enqueue the files of return submission %s", submission_id)
        ReturnSubmission.objects.filter(pk=submission_id).record_files(files_error=BROKER_UNREACHABLE)


def load(submission_id: int) -> ReturnSubmission | None:
    """The submission to render; None when its files are already recorded (a redelivered task does nothing)."""
    submission = (
        ReturnSubmission.objects.select_related("ret__plan__round", "ret__plan__hwb_area", "ret__period")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or submission.files_status == Status.DONE:
        return None
    return submission


def render(submission: ReturnSubmission) -> tuple[bytes, bytes]:
    """The PDF (from the snapshot) and the workbook (from the return, checked to be unchanged since submission)."""
    from .pdf import submission_pdf_bytes
    from .workbook import return_workbook_bytes

    ret = submission.ret
    if (
        ret.version != submission.version
        or selectors.return_content_hash(ret) != submission.snapshot["header"]["content_sha256"]
    ):
        raise ReturnMovedOn("The return has changed since this version was submitted, so its files cannot be created.")
    return submission_pdf_bytes(submission), return_workbook_bytes(ret)


def record(submission: ReturnSubmission, pdf: bytes, workbook: bytes) -> bool:
    """Store both files under fresh names with their SHA-256; False if another try recorded them first."""
    ret = submission.ret
    stem = f"{ret.plan.hwb_area.ons_code}-{ret.period.key}-v{submission.version}"
    stored = []
    storage = ReturnSubmission._meta.get_field("pdf").storage
    try:
        for field_name, data, filename in (("pdf", pdf, f"{stem}.pdf"), ("workbook", workbook, f"{stem}.xlsx")):
            field = ReturnSubmission._meta.get_field(field_name)
            stored.append(storage.save(field.generate_filename(submission, filename), ContentFile(data)))
        with transaction.atomic():
            recorded = ReturnSubmission.objects.filter(pk=submission.pk).record_files(
                pdf=stored[0],
                pdf_sha256=sha256_hex(pdf),
                workbook=stored[1],
                workbook_sha256=sha256_hex(workbook),
                files_status=Status.DONE,
                files_error="",
            )
    except BaseException:
        for name in stored:
            storage.delete(name)
        raise
    if not recorded:
        for name in stored:
            storage.delete(name)
    return bool(recorded)


def fail(submission_id: int, error: str, *, final: bool) -> None:
    """A try failed: note why, and after the last try mark the files as not created (the page offers "Try again")."""
    ReturnSubmission.objects.filter(pk=submission_id).record_files(
        files_status=Status.FAILED if final else Status.RENDERING, files_error=error[:2000]
    )
