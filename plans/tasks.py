"""Celery tasks for plans: rendering an export in the worker."""

import logging

from celery import shared_task

from . import exports

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
