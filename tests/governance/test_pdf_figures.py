"""Figures in the Part 1 PDF and the plan's snapshot: embedded, tagged with their alt text, bound by their hash."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from governance.models import SignOff
from governance.pdf import render_plan_pdf
from governance.snapshots import read_plan_snapshot
from plans import figures
from plans.models import Plan
from rounds.models import Question
from tests import factories as f
from tests.governance import test_pdf
from tests.governance.conftest import submit
from tests.governance.test_pdf import body_text, structure_roles

ALT_TEXTS = (
    "Governance structure: the Health and Wellbeing Board oversees the BCF joint commissioning board",
    "Model of care: home first, with reablement before any long-term placement",
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


FIGURE_SIZE = (300, 160)


def png(color, size=FIGURE_SIZE) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return SimpleUploadedFile("chart.png", buffer.getvalue(), content_type="image/png")


def add_two_figures(plan: Plan, user) -> Question:
    question = Question.objects.get(section__round=plan.round, key="vision")
    for n, alt in enumerate(ALT_TEXTS, start=1):
        figures.add_figure(
            user=user, plan=plan, question=question, upload=png((40 * n, 90, 160)), alt_text=alt, caption=f"Figure {n}"
        )
    return question


def commissioner_of(plan: Plan):
    return f.MembershipFactory(hwb_area=plan.hwb_area).user


def figure_alts(pdf: bytes) -> list[str]:
    """The /Alt of every /Figure element in the PDF's structure tree, in order."""
    alts: list[str] = []

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if node.get("/S") == "/Figure":
                alts.append(str(node.get("/Alt", "")))
            if "/K" in node:
                walk(node["/K"])
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/StructTreeRoot"])
    return alts


def embedded_figures(pdf: bytes) -> int:
    """Distinct images of the figures' size (pages may share one resource dictionary, so each lists all)."""
    return len(
        {
            image.data
            for page in PdfReader(io.BytesIO(pdf)).pages
            for image in page.images
            if image.image.size == FIGURE_SIZE
        }
    )


@pytest.mark.django_db
def test_an_answer_with_two_figures_renders_in_the_pdf_tagged_with_their_alt_text():
    plan = f.PlanWithContentFactory()
    add_two_figures(plan, commissioner_of(plan))
    pdf = render_plan_pdf(plan)

    assert figure_alts(pdf) == list(ALT_TEXTS)
    assert "/Figure" in structure_roles(pdf)
    assert embedded_figures(pdf) == 2
    text = body_text(pdf, plan)
    assert "Figure 1" in text and "Figure 2" in text
    # The PDF/UA checks of the suite still pass with figures in it.
    test_pdf.test_pdf_is_tagged_pdf_ua_with_title_language_and_embedded_fonts(pdf)


@pytest.mark.django_db
def test_the_snapshot_records_each_figure_and_a_plan_without_figures_keeps_its_content():
    plan = f.PlanWithContentFactory()
    before = read_plan_snapshot(plan)
    assert "figures" not in before.content()  # the hash of every plan without figures is what it was
    add_two_figures(plan, commissioner_of(plan))
    after = read_plan_snapshot(plan)
    recorded = after.content()["figures"]
    section_key = Question.objects.get(section__round=plan.round, key="vision").section.key
    assert [(r["section"], r["question"], r["alt_text"], r["caption"]) for r in recorded] == [
        (section_key, "vision", ALT_TEXTS[0], "Figure 1"),
        (section_key, "vision", ALT_TEXTS[1], "Figure 2"),
    ]
    for row in recorded:
        assert row["file"] == f"figures/sha256/{row['sha256'][:2]}/{row['sha256']}.png"
    assert after.content_hash != before.content_hash


@pytest.mark.django_db
def test_adding_a_figure_voids_the_signatures(signed_plan):
    cast = signed_plan
    assert cast.plan.status == Plan.Status.SIGNED_OFF
    add_two_figures(cast.plan, cast.commissioner)
    cast.plan.refresh_from_db()
    assert cast.plan.status == Plan.Status.DRAFT
    assert not SignOff.objects.filter(plan=cast.plan, voided_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_submitted_plan_keeps_its_figures_in_its_snapshot_and_pdf(cast):
    add_two_figures(cast.plan, cast.commissioner)
    submission = submit(cast)
    assert [r["alt_text"] for r in submission.snapshot["content"]["figures"]] == list(ALT_TEXTS)
    assert figure_alts(submission.pdf.read()) == list(ALT_TEXTS)
