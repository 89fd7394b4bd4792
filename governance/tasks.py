"""Celery tasks for governance: rendering a submission's PDF and workbook in the worker."""

import logging

from celery import shared_task

from plans.tasks import MAX_TRIES

from . import submission_files

logger = logging.getLogger(__name__)


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
