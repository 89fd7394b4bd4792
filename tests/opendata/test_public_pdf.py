"""The public Part 1 PDF: the approved plan rendered without personal data (real WeasyPrint, read back
with pypdf), stored once under its content hash, rendered by a task when the round is published."""

import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from governance.models import SignOff
from governance.pdf import part1_content_hash
from governance.snapshots import read_plan_snapshot
from opendata import public_pdf
from opendata.services import publish_round
from opendata.tasks import render_public_pdf
from plans.models import Answer
from rounds.models import Question, SignOffSlot
from tests.factories import SignOffFactory, SignOffSlotFactory
from tests.opendata.conftest import assert_no_personal_data

pytestmark = pytest.mark.django_db

SIGNATORY = "Philippa Quarrington-Smythe"
POSITION = "Director of Zebra Crossings"


def _pdf_url(plan):
    return reverse("opendata:part_one_pdf", args=[plan.round.slug, plan.hwb_area.ons_code])


def _text(pdf: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def _stored_name(plan) -> str:
    return public_pdf.public_pdf_name(part1_content_hash(read_plan_snapshot(plan), public=True))


def _forget_stored(plan) -> str:
    """Test media outlives a test: start from nothing stored for this content."""
    name = _stored_name(plan)
    if default_storage.exists(name):
        default_storage.delete(name)
    return name


def _sign(plan) -> SignOffSlot:
    """Give the plan's first slot a signatory with a name and position no one else has."""
    slot = SignOffSlot.objects.filter(round=plan.round).order_by("order").first() or SignOffSlotFactory(
        round=plan.round
    )
    signed = SignOff.objects.filter(plan=plan, slot=slot, voided_at__isnull=True)
    if not signed.update(signatory_name=SIGNATORY, position=POSITION):
        SignOffFactory(plan=plan, slot=slot, signatory_name=SIGNATORY, position=POSITION)
    return slot


def test_the_public_pdf_has_the_narrative_and_sign_off_roles_but_no_one_s_name(client, open_round):
    plan = open_round.approved
    slot = _sign(plan)
    narrative = (
        Answer.objects.filter(plan=plan, question__kind=Question.Kind.NARRATIVE, question__section__part=1)
        .exclude(text="")
        .first()
    )
    assert narrative is not None, "the demo plan has a Part 1 narrative answer"
    _forget_stored(plan)
    publish_round(user=open_round.national_admin, planning_round=open_round.round)

    response = client.get(_pdf_url(plan))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _text(b"".join(response.streaming_content))
    first_words = " ".join(narrative.text.split()[:4])
    assert first_words.replace("*", "").replace("#", "").strip() in text
    assert slot.title in text
    assert "Signatories' names and positions are not shown" in text
    assert SIGNATORY not in text and POSITION not in text
    assert_no_personal_data(text)  # no user's full name or email, and no "@" at all


def test_the_stored_public_pdf_is_reused_on_a_second_download(client, open_round, monkeypatch):
    plan = open_round.approved
    name = _forget_stored(plan)
    publish_round(user=open_round.national_admin, planning_round=open_round.round)
    renders = []
    real_render = public_pdf.pdf_bytes

    def counted(*args, **kwargs):
        renders.append(kwargs)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(public_pdf, "pdf_bytes", counted)

    first = b"".join(client.get(_pdf_url(plan)).streaming_content)
    second = b"".join(client.get(_pdf_url(plan)).streaming_content)

    assert renders == [{"public": True}]
    assert first == second and default_storage.exists(name) and name.endswith("-public.pdf")
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == first


def test_publishing_the_round_renders_each_plan_s_public_pdf_in_the_task(
    open_round, django_capture_on_commit_callbacks
):
    names = {plan.pk: _forget_stored(plan) for plan in (open_round.approved, open_round.with_conditions)}

    with django_capture_on_commit_callbacks(execute=True):  # tasks run eagerly in tests
        publish_round(user=open_round.national_admin, planning_round=open_round.round)

    assert all(default_storage.exists(name) for name in names.values())
    assert render_public_pdf.apply(args=(open_round.approved.pk,)).get() == "done"  # stored: reused
    assert render_public_pdf.apply(args=(open_round.submitted.pk,)).get() == "skipped"  # not approved
