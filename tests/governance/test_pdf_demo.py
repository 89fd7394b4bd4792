"""Each demo plan's PDF carries every heading, answer and table row; page images are kept for a look."""

import subprocess
from pathlib import Path

import pytest

from governance.models import SignOff
from governance.pdf import render_plan_pdf
from plans import models as pm
from rounds import models as rm
from tests.governance.test_pdf import (
    assert_contents_page_numbers_match,
    assert_in_order,
    body_text,
    expected_contents,
    markdown_texts,
    page_texts,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"


def expected_part1(plan: pm.Plan) -> list[str]:
    """Every heading, answer and table row of Part 1, in template order, as a reader sees it."""
    expected: list[str] = []
    group = None
    for section in rm.Section.objects.filter(round=plan.round, part=1).order_by("order"):
        if section.group_heading and section.group_heading != group:
            group = section.group_heading
            expected.append(group)
        expected.append(section.title)
        for question in section.questions.order_by("order"):
            if question.label.lower() != section.heading.lower():  # else the heading says it
                expected.append(question.label)
            answer = pm.Answer.objects.filter(plan=plan, question=question).first()
            shared = (
                pm.SharedAnswer.objects.filter(group_id=plan.group_id, question=question).exclude(text="").first()
                if plan.group_id and section.shareable
                else None
            )
            if shared is not None:  # an aligned plan: the group's shared text, then the local addendum
                expected += [f"Shared narrative of {plan.group.name}", *markdown_texts(shared.text)]
                if answer and answer.text.strip():
                    expected += ["Local addendum", *markdown_texts(answer.text)]
                continue
            value = (
                {
                    "narrative": lambda a: a.text.strip() and markdown_texts(a.text),
                    "text": lambda a: a.text.strip() and [a.text.strip()],
                    "date": lambda a: a.date and [f"{a.date:%-d %B %Y}"],
                    "money": lambda a: a.money is not None and [f"£{a.money:,.2f}"],
                    "confirmation": lambda a: a.confirmed is not None and ["Yes" if a.confirmed else "No"],
                }[question.kind](answer)
                if answer
                else None
            )
            expected += value or ["Not answered"]
        if section.national_condition_id:
            for cq in section.national_condition.questions.order_by("order"):
                response = cq.responses.filter(plan=plan).first()
                expected.append(cq.prompt)
                if response and response.status:
                    expected.append(response.get_status_display())
                if response and response.target_date:
                    expected.append(f"{response.target_date:%-d %B %Y}")
                expected += (markdown_texts(response.narrative) if response else []) or ["No explanation given"]
        if section.table == "signoff":
            signoffs = {s.slot_id: s for s in SignOff.objects.filter(plan=plan, voided_at__isnull=True)}
            for slot in plan.round.signoff_slots.order_by("order"):
                expected.append(slot.title)
                signoff = signoffs.get(slot.pk)
                if signoff:
                    organisation = signoff.organisation_name or (
                        signoff.organisation.name if signoff.organisation else ""
                    )
                    expected += [x for x in [organisation, signoff.signatory_name, signoff.position] if x]
                    if signoff.signed_on:
                        expected.append(f"{signoff.signed_on:%-d %b %Y}")
                else:
                    expected.append("Not signed")
        if section.table == "documents":
            for doc in plan.documents.order_by("order", "id"):
                expected += [x for x in [doc.ref, doc.title] if x] + markdown_texts(doc.synopsis)
        if section.table == "risks":
            for risk in plan.risks.order_by("order", "id"):
                expected += [
                    *markdown_texts(risk.description),
                    risk.rating.label,
                    *markdown_texts(risk.mitigating_actions),
                ]
    return expected


def expected_part2(plan: pm.Plan) -> list[str]:
    expected = ["Summary of Part 2: schemes, finance and metrics"]
    for scheme in plan.schemes.order_by("order", "reference"):
        expected += [scheme.reference, scheme.name, scheme.scheme_type.label]
    for line in plan.income_lines.select_related("funding_stream").order_by("funding_stream__order")[:1]:
        expected.append(line.funding_stream.name)
    if rm.Section.objects.filter(round=plan.round, table="metrics").exists():
        for ambition in plan.metric_ambitions.select_related("metric").order_by("order", "id"):
            expected.append(ambition.metric.name if ambition.metric_id else ambition.local_name)
    return expected


@pytest.fixture
def demo_plans(demo_data):
    plans = list(pm.Plan.objects.select_related("round", "hwb_area").order_by("round__slug", "hwb_area__name"))
    assert len(plans) >= 4, "the demo has four plans"
    return plans


def test_each_demo_plan_pdf_has_every_heading_answer_and_table_row_in_order(demo_plans):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for plan in demo_plans:
        pdf = render_plan_pdf(plan)
        (ARTIFACTS / f"{plan.round.slug}-{plan.hwb_area.ons_code}.pdf").write_bytes(pdf)
        text = body_text(pdf, plan)
        expected = expected_part1(plan)
        # Skip the contents page: start from the first group heading's second appearance.
        start = text.find(expected[0], text.find(expected[0]) + 1)
        assert_in_order(text[start:], expected + expected_part2(plan))
        part2 = [s.heading for s in rm.Section.objects.filter(round=plan.round, part=2).order_by("order") if s.table]
        assert_contents_page_numbers_match(pdf, expected_contents(plan, part2))


def test_demo_plan_page_images_are_saved_for_inspection(demo_plans):
    """Page images of the Plymouth demo plan, to look at (test-artifacts/ is not committed)."""
    plan = next(p for p in demo_plans if p.hwb_area.name == "Plymouth")
    out = ARTIFACTS / "plymouth"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("page-*.png"):
        old.unlink()
    pdf = render_plan_pdf(plan)
    (out / "plymouth-part1.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(out / "plymouth-part1.pdf"), str(out / "page")], check=True)
    images = sorted(out.glob("page-*.png"))
    assert len(images) == len(page_texts(pdf)) > 5
