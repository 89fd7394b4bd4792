"""Celery tasks for open data: rendering a published plan's public Part 1 PDF."""

import logging

from celery import shared_task

from . import public_pdf, selectors

logger = logging.getLogger(__name__)

MAX_TRIES = 3


@shared_task(bind=True, acks_late=True, max_retries=MAX_TRIES - 1, default_retry_delay=5)
def render_public_pdf(self, plan_id: int) -> str:
    """Render and store one published plan's public Part 1 PDF. Idempotent: a stored PDF is reused.

    A plan no longer published (withdrawn, reopened) is skipped. A failing render is retried with
    back-off; after the last try the first download renders it instead.
    """
    plan = selectors.published_plan_by_id(plan_id)
    if plan is None:
        return "skipped"
    try:
        public_pdf.stored_public_pdf(plan)
    except Exception as exc:
        logger.exception("Public PDF of plan %s failed (try %s of %s)", plan_id, self.request.retries + 1, MAX_TRIES)
        if self.request.retries + 1 < MAX_TRIES and not self.request.is_eager:
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
        return "failed"
    return "done"
