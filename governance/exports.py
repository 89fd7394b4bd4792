"""Exports of a plan (Part 2 workbook, Part 1 PDF), rendered by a Celery worker and reused while unchanged.

Each kind names its read, renderer and content hash directly (EXPORT_KINDS below): governance
sits above finance, so it imports the workbook as plainly as its own PDF.

`read(plan)` reads the plan once into an immutable snapshot (the Part 2 snapshot for the workbook,
the whole plan's for the PDF); `render(snapshot) -> bytes` builds the file and
`content_hash(snapshot) -> str` changes whenever anything the file shows changes, so an unchanged
plan gets its last file back without rendering again, and a file and its hash always come from
the same read.

A job's file is written to a temporary name and renamed into place, and the job only points at
it once it is complete, so a download never sees a half-written file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from finance.selectors import part_two_for_plan, workbook_content_hash
from finance.workbook import workbook_bytes
from plans.models import Plan

from .models import ExportJob
from .pdf import part1_content_hash, pdf_bytes
from .snapshots import read_plan_snapshot

logger = logging.getLogger(__name__)

# A job still queued after this long means no worker has picked it up: say exports are delayed.
DELAYED_AFTER = timedelta(seconds=30)
BROKER_UNREACHABLE = "The export service could not be reached; the export will start when it is back."
# A job "running" with no progress for this long lost its worker (killed mid-render): asking again
# starts a new job instead of waiting for the broker to redeliver the old one (an hour, on Redis).
STALE_AFTER = timedelta(minutes=10)
STOPPED = "The export stopped before it finished (the export service restarted). It has been started again."


class UnknownExportKind(ValueError):
    pass


@dataclass(frozen=True)
class ExportKind:
    key: str
    read: Callable[[Plan], Any]
    render: Callable[[Any], bytes]
    content_hash: Callable[[Any], str]
    content_type: str
    extension: str
    label: str


EXPORT_KINDS: dict[str, ExportKind] = {
    "xlsx": ExportKind(
        key="xlsx",
        read=part_two_for_plan,
        render=workbook_bytes,
        content_hash=workbook_content_hash,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        extension="xlsx",
        label="Part 2 workbook (.xlsx)",
    ),
    "pdf": ExportKind(
        key="pdf",
        read=read_plan_snapshot,
        render=pdf_bytes,
        content_hash=part1_content_hash,
        content_type="application/pdf",
        extension="pdf",
        label="Part 1 plan (PDF)",
    ),
}


def export_kind(key: str) -> ExportKind:
    try:
        return EXPORT_KINDS[key]
    except KeyError:
        raise UnknownExportKind(f"No export of kind {key!r} is registered.") from None


def registered_kinds() -> list[str]:
    return list(EXPORT_KINDS)


def latest_job(plan: Plan, kind: str) -> ExportJob | None:
    """The plan's newest export of that kind, for the export panel on the task list and Part 2 pages.

    A plain statement (Manager.raw): the ORM took about twice as long to compile this as to run it,
    on every page that shows the panel (docs/performance.md, "Ninth look")."""
    jobs = ExportJob.objects.raw(_LATEST_JOB_SQL, [plan.pk, kind])
    return next(iter(jobs), None)


# Only the model's own table name is interpolated; the values are parameters.
_LATEST_JOB_SQL = (
    f"SELECT * FROM {ExportJob._meta.db_table} WHERE plan_id = %s AND kind = %s"  # noqa: S608
    " ORDER BY created_at DESC, id DESC LIMIT 1"
)


def _file_exists(job: ExportJob) -> bool:
    return bool(job.file) and default_storage.exists(job.file.name)


@transaction.atomic
def request_export(*, user: User, plan: Plan, kind: str) -> ExportJob:
    """The export of the plan as it is now: a finished one if the content is unchanged, else a new job.

    The caller must have fetched the plan through plans.selectors.get_plan_for_user: anyone who
    may read a plan may export it.
    """
    spec = export_kind(kind)
    content_hash = spec.content_hash(spec.read(plan))
    existing = (
        ExportJob.objects.select_for_update()
        .filter(plan=plan, kind=kind, content_hash=content_hash)
        .exclude(status=ExportJob.Status.FAILED)
        .order_by("-created_at")
        .first()
    )
    if existing is not None and _is_stale(existing):
        existing.status, existing.error = ExportJob.Status.FAILED, STOPPED
        existing.save(update_fields=["status", "error", "updated_at"])
        existing = None
    if existing is not None and (existing.status != ExportJob.Status.DONE or _file_exists(existing)):
        return existing  # unchanged and done (reuse), or already on its way
    job = ExportJob.objects.create(plan=plan, kind=kind, content_hash=content_hash, requested_by=user)
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def _is_stale(job: ExportJob) -> bool:
    return job.status == ExportJob.Status.RUNNING and timezone.now() - job.updated_at > STALE_AFTER


def enqueue(job_id: int) -> None:
    """Send the job to the worker. If the broker is down the job stays queued and says so."""
    from .tasks import render_export  # the task module imports this one

    try:
        render_export.apply_async((job_id,), retry=False)
    except Exception:  # kombu raises several kinds when the broker is unreachable
        logger.exception("Could not enqueue export job %s", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(error=BROKER_UNREACHABLE)


@transaction.atomic
def start_job(job_id: int) -> ExportJob | None:
    """Mark the job running; None if it is already done or gone (a redelivered task does nothing)."""
    job = ExportJob.objects.select_for_update().select_related("plan").filter(pk=job_id).first()
    if job is None or job.status == ExportJob.Status.DONE:
        return None
    job.status, job.error = ExportJob.Status.RUNNING, ""
    job.save(update_fields=["status", "error", "updated_at"])
    return job


def render(job: ExportJob) -> tuple[bytes, str]:
    """Render the file for the plan as it is now, with the hash of that content: both from one read.

    `job` comes from start_job, with its plan as it is now.
    """
    spec = export_kind(job.kind)
    snapshot = spec.read(job.plan)
    return spec.render(snapshot), spec.content_hash(snapshot)


def _write_atomically(name: str, data: bytes) -> str:
    """Write to a temporary file and rename it into place, so the file is either whole or absent."""
    try:
        final = default_storage.path(name)
    except NotImplementedError:  # object storage: a single PUT is already all-or-nothing
        return default_storage.save(name, ContentFile(data))
    os.makedirs(os.path.dirname(final), exist_ok=True)
    temporary = f"{final}.{uuid.uuid4().hex}.part"
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, final)
    return name


def finish_job(job_id: int, data: bytes, content_hash: str) -> ExportJob:
    job = ExportJob.objects.select_related("plan__hwb_area", "plan__round").get(pk=job_id)
    spec = export_kind(job.kind)
    plan = job.plan
    name = (
        f"exports/{plan.round.slug}-{plan.hwb_area.ons_code}-{job.kind}-{content_hash[:12]}-{job.pk}.{spec.extension}"
    )
    stored = _write_atomically(name, data)
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job_id)
        # An identical file finished by another job is replaced by this one (one done job per content).
        ExportJob.objects.filter(
            plan_id=job.plan_id, kind=job.kind, content_hash=content_hash, status=ExportJob.Status.DONE
        ).exclude(pk=job.pk).delete()
        job.file.name = stored
        job.sha256 = hashlib.sha256(data).hexdigest()
        job.content_hash = content_hash
        job.status, job.error = ExportJob.Status.DONE, ""
        job.save()
    return job


def fail_job(job_id: int, error: str) -> None:
    ExportJob.objects.filter(pk=job_id).exclude(status=ExportJob.Status.DONE).update(
        status=ExportJob.Status.FAILED, error=error[:2000], updated_at=timezone.now()
    )


def requeue_job(job_id: int, error: str) -> None:
    """A try failed and will be retried: back to queued, noting why."""
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.QUEUED, error=error[:2000], updated_at=timezone.now()
    )


def run_export_now(plan: Plan, kind: str) -> bytes:
    """Render without a job or worker (the export_plan command)."""
    spec = export_kind(kind)
    return spec.render(spec.read(plan))


def job_status(job: ExportJob) -> dict:
    """What the export panel shows: plain words, and whether exports look delayed."""
    delayed = job.status == ExportJob.Status.QUEUED and (
        job.error == BROKER_UNREACHABLE or timezone.now() - job.created_at > DELAYED_AFTER
    )
    messages = {
        ExportJob.Status.QUEUED: "Waiting to start",
        ExportJob.Status.RUNNING: "Creating the file",
        ExportJob.Status.DONE: "Ready to download",
        ExportJob.Status.FAILED: "The export failed. Try again.",
    }
    message = messages[job.status]
    if delayed:
        message = "Exports are delayed. Your export is queued and will start as soon as the export service is back."
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "message": message,
        "delayed": delayed,
        "sha256": job.sha256,
        "created_at": job.created_at.isoformat(),
    }
