"""A submission's PDF and workbook, rendered by a Celery worker after the submission is committed.

Submitting freezes the snapshot in the request and returns at once; a big plan's PDF can take
longer to render than a web request may last. The plan cannot move on (start assurance, be
returned for changes) until its submission's files are recorded, so the worker renders it exactly
as it was submitted; before rendering, the worker checks that the plan still matches the snapshot.
A failing render is retried; after the last try the submission says so and offers "Try again".
"""

import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from finance.workbook import workbook_bytes
from plans.models import Plan

from .models import Submission
from .pdf import pdf_bytes
from .snapshots import canonical_json, read_plan_snapshot, sha256_hex

logger = logging.getLogger(__name__)

Status = Submission.FilesStatus
# Rendering with no progress for this long lost its worker: offer "Try again".
STALE_AFTER = timedelta(minutes=10)
BROKER_UNREACHABLE = "The service that creates the files could not be reached. They will be created when it is back."


class PlanMovedOn(Exception):
    """The plan no longer matches the submission's snapshot, so it cannot be rendered as submitted."""


def enqueue(submission_id: int) -> None:
    """Send the submission to the worker. If the broker is down the submission stays rendering and says so."""
    from .tasks import render_submission_files  # the task module imports this one

    try:
        render_submission_files.apply_async((submission_id,), retry=False)
    except Exception:  # kombu raises several kinds when the broker is unreachable
        logger.exception("Could not enqueue the files of submission %s", submission_id)
        Submission.objects.filter(pk=submission_id).record_rendering(files_error=BROKER_UNREACHABLE)


def start(submission_id: int) -> Submission | None:
    """Count a try; None when the files are already recorded (a redelivered task does nothing)."""
    started = Submission.objects.filter(pk=submission_id).record_rendering(
        files_status=Status.RENDERING, files_tries=F("files_tries") + 1, files_updated_at=timezone.now()
    )
    if not started:
        return None
    return Submission.objects.select_related("plan__round", "plan__hwb_area").get(pk=submission_id)


def render(submission: Submission) -> tuple[bytes, bytes]:
    """The Part 1 PDF and Part 2 workbook of the plan as it was submitted, both from one read of it."""
    snapshot = read_plan_snapshot(submission.plan)
    if (
        snapshot.plan.status != Plan.Status.SUBMITTED
        or snapshot.plan.version != submission.version
        or sha256_hex(canonical_json(snapshot.submission_json())) != submission.snapshot_sha256
    ):
        raise PlanMovedOn("The plan has changed since this version was submitted, so its files cannot be created.")
    return pdf_bytes(snapshot), workbook_bytes(snapshot.part_two)


def record(submission: Submission, pdf: bytes, workbook: bytes) -> bool:
    """Store both files under fresh names and record them with their SHA-256; False if another try got there first."""
    stem = f"{submission.plan.hwb_area.ons_code}-{submission.plan.round.slug}-v{submission.version}"
    stored = []
    try:
        for field_name, data, filename in (
            ("pdf", pdf, f"{stem}-part1.pdf"),
            ("workbook", workbook, f"{stem}-part2.xlsx"),
        ):
            field = Submission._meta.get_field(field_name)
            stored.append(field.storage.save(field.generate_filename(submission, filename), ContentFile(data)))
        with transaction.atomic():
            recorded = Submission.objects.filter(pk=submission.pk).record_rendering(
                pdf=stored[0],
                pdf_sha256=sha256_hex(pdf),
                workbook=stored[1],
                workbook_sha256=sha256_hex(workbook),
                files_status=Status.DONE,
                files_error="",
                files_updated_at=timezone.now(),
            )
    except BaseException:
        _remove(stored)
        raise
    if not recorded:
        _remove(stored)  # no submission refers to them
    return bool(recorded)


def _remove(names: list[str]) -> None:
    storage = Submission._meta.get_field("pdf").storage
    for name in names:
        storage.delete(name)


def fail(submission_id: int, error: str, *, final: bool) -> None:
    """A try failed: note why, and after the last try mark the files as not created."""
    Submission.objects.filter(pk=submission_id).record_rendering(
        files_status=Status.FAILED if final else Status.RENDERING,
        files_error=error[:2000],
        files_updated_at=timezone.now(),
    )


def may_retry(submission: Submission) -> bool:
    """The render failed, or stopped with no progress (its worker was lost): it can be asked for again."""
    if submission.files_status == Status.FAILED:
        return True
    return (
        submission.files_status == Status.RENDERING
        and submission.files_updated_at is not None
        and timezone.now() - submission.files_updated_at > STALE_AFTER
    )


def progress(submission: Submission) -> dict:
    """What the pages show about the files, in the export panel's terms (queued, running, done, failed)."""
    if submission.files_status == Status.DONE:
        status, message = "done", "Ready to download"
    elif may_retry(submission):
        status, message = "failed", "The PDF and workbook could not be created. Try again."
    elif submission.files_error == BROKER_UNREACHABLE:
        status, message = (
            "queued",
            "Creating files is delayed. The PDF and workbook will be created as soon as possible.",
        )
    elif submission.files_tries == 0:
        status, message = "queued", "Waiting to create the PDF and workbook"
    else:
        status, message = "running", "Creating the PDF and workbook"
    return {"status": status, "message": message, "version": submission.version, "pdf_sha256": submission.pdf_sha256}
