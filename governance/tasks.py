"""Celery tasks for governance: rendering an export and a submission's files, and the daily reminders."""

import logging

from celery import shared_task

from . import exports, reminders, services, submission_files

logger = logging.getLogger(__name__)

MAX_TRIES = 3


@shared_task(bind=True, acks_late=True, max_retries=MAX_TRIES - 1, default_retry_delay=5)
def render_export(self, job_id: int) -> str:
    """Render one export job. Idempotent: a job already done (e.g. a redelivered task) is left alone.

    A failing render is retried with back-off; after the last try the job is marked failed, and the
    panel offers "Try again", which queues a new job.
    """
    job = exports.start_job(job_id)
    if job is None:
        return "skipped"
    try:
        data, content_hash = exports.render(job)
    except Exception as exc:
        logger.exception("Export job %s failed (try %s of %s)", job_id, self.request.retries + 1, MAX_TRIES)
        if self.request.retries + 1 < MAX_TRIES and not self.request.is_eager:
            exports.requeue_job(job_id, str(exc))
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
        exports.fail_job(job_id, f"{type(exc).__name__}: {exc}")
        return "failed"
    exports.finish_job(job_id, data, content_hash)
    return "done"


@shared_task(bind=True, acks_late=True, max_retries=MAX_TRIES - 1, default_retry_delay=5)
def render_submission_files(self, submission_id: int) -> str:
    """Render and record one submission's files. Idempotent: once they are recorded a redelivered task does nothing.

    A failing render is retried with back-off, as exports are; after the last try the submission
    shows that its files could not be created, with "Try again".
    """
    submission = submission_files.start(submission_id)
    if submission is None:
        return "skipped"
    try:
        pdf, workbook = submission_files.render(submission)
        submission_files.record(submission, pdf, workbook)
    except submission_files.PlanMovedOn as exc:
        submission_files.fail(submission_id, str(exc), final=True)  # trying again cannot help
        return "failed"
    except Exception as exc:
        logger.exception(
            "Files of submission %s failed (try %s of %s)", submission_id, self.request.retries + 1, MAX_TRIES
        )
        final = self.request.is_eager or self.request.retries + 1 >= MAX_TRIES
        submission_files.fail(submission_id, f"{type(exc).__name__}: {exc}", final=final)
        if not final:
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
        return "failed"
    return "done"


@shared_task
def send_deadline_reminders() -> int:
    """Daily (django-celery-beat): remind areas that have not submitted, N days before the deadline."""
    return reminders.send_deadline_reminders()


@shared_task
def send_signature_reminders() -> int:
    """Daily (django-celery-beat): remind signatories a plan has waited M days for."""
    return reminders.send_signature_reminders()


@shared_task
def open_due_phases() -> int:
    """Daily (django-celery-beat): move approved plans into their round's next phase once it opens."""
    return len(services.open_due_phases())
