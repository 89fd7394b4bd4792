"""The public Part 1 PDF of a published plan: the approved content rendered without personal data.

The Part 1 PDF stored at submission names the signatories; open data must name no one, so the
public copy is a second rendering (governance.pdf.pdf_bytes(public=True)) of the plan's approved
content (an approved plan cannot change). It is stored once in default storage under a name made
from its content hash, so every later download, by anyone, is the stored file: a Celery task renders
it for each published plan when the round is published, and a download that comes first renders
and stores it itself.
"""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from governance.pdf import part1_content_hash, pdf_bytes
from governance.snapshots import read_plan_snapshot
from plans.models import Plan

logger = logging.getLogger(__name__)

STORAGE_DIR = "open-data/part1"


def public_pdf_name(content_hash: str) -> str:
    return f"{STORAGE_DIR}/{content_hash}-public.pdf"


def stored_public_pdf(plan: Plan) -> str:
    """The storage name of the plan's public Part 1 PDF, rendering and storing it if it is not stored yet."""
    snapshot = read_plan_snapshot(plan)
    name = public_pdf_name(part1_content_hash(snapshot, public=True))
    if default_storage.exists(name):
        return name
    saved = default_storage.save(name, ContentFile(pdf_bytes(snapshot, public=True)))
    if saved != name:
        # Rendered at the same time elsewhere (the task and a download): keep the first, drop ours.
        default_storage.delete(saved)
    return name


def enqueue_public_pdfs(plan_ids: list[int]) -> None:
    """Send each plan to the worker. If the broker is down the first download renders the PDF instead."""
    from .tasks import render_public_pdf  # the task module imports this one

    for plan_id in plan_ids:
        try:
            render_public_pdf.apply_async((plan_id,), retry=False)
        except Exception:  # kombu raises several kinds when the broker is unreachable
            logger.exception("Could not enqueue the public Part 1 PDF of plan %s", plan_id)
