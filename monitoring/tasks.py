"""Celery tasks for monitoring returns: rendering a submitted return's PDF and workbook."""

import logging

from celery import shared_task

from . import submission_files

logger = logging.getLogger(__name__)

MAX_TRIES = 3


@shared_task(bind=True, acks_late=True, max_retries=MAX_TRIES - 1, default_retry_delay=5)
def render_return_files(self, submission_id: int) -> str:
    """Render and record one submitted return's files. Idempotent: once recorded, a redelivered task does nothing."""
    submission = submission_files.load(submission_id)
    if submission is None:
        return "skipped"
    try:
        pdf, workbook = submission_files.render(submission)
        submission_files.record(submission, pdf, workbook)
    except submission_files.ReturnMovedOn as exc:
        submission_files.fail(submission_id, str(exc), final=True)  # trying again cannot help
        return "failed"
    except Exception as exc:
        logger.exception(
            "Files of return submission %s failed (try %s of %s)", submission_id, self.request.retries + 1, MAX_TRIES
        )
        final = self.request.is_eager or self.request.retries + 1 >= MAX_TRIES
        submission_files.fail(submission_id, f"{type(exc).__name__}: {exc}", final=final)
        if not final:
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
        return "failed"
    return "done"
