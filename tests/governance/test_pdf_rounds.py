"""Every shipped round's template comes out whole: each question of a fully answered plan, in order."""

import datetime
from decimal import Decimal

import pytest

from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from governance.models import SignOff
from governance.pdf import render_plan_pdf
from plans import models as pm
from rounds import models as rm
from schemes.models import Scheme
from tests import factories as f
from tests.governance.test_pdf import (
    assert_contents_page_numbers_match,
    assert_in_order,
    body_text,
    expected_contents,
    markdown_texts,
)


def answer_everything(round_: rm.PlanningRound) -> pm.Plan:
    """A plan in the round with a distinct answer to every question and a row in every table."""
    area = f.HwbAreaFactory(ons_code="E06000099", name="Exampleshire")
    plan = f.PlanFactory(round=round_, hwb_area=area)
    for n, question in enumerate(rm.Question.objects.filter(section__round=round_).order_by("section__order", "order")):
        values = {
            "narrative": {"text": f"Answer {n} to {question.key}.\n\n- first point {n}\n- second point {n}"},
            "text": {"text": f"Short answer {n}"},
            "date": {"date": datetime.date(2017, 1, 1) + datetime.timedelta(days=n)},
            "money": {"money": Decimal(1000 * (n + 1))},
            "confirmation": {"confirmed": n % 2 == 0},
        }[question.kind]
        pm.Answer.objects.create(plan=plan, question=question, **values)
    for n, cq in enumerate(rm.ConditionQuestion.objects.filter(condition__round=round_)):
        pm.ConditionResponse.objects.create(plan=plan, question=cq, status="yes", narrative=f"Condition answer {n}.")
    pm.RelatedDocument.objects.create(plan=plan, ref="D1", title="Joint Strategic Needs Assessment", synopsis="Needs.")
    entries = {e.list: e for e in round_.code_entries.order_by("list", "order")}
    scheme = Scheme.objects.create(
        plan=plan,
        reference="S1",
        name="Home from hospital",
        scheme_type=entries["scheme_type"],
        lead_commissioner=entries["commissioner"],
        area_of_spend=entries["area_of_spend"],
    )
    pm.Risk.objects.create(
        plan=plan, description="Admissions keep rising.", rating=entries["risk_rating"], mitigating_actions="Review."
    )
    stream = round_.funding_streams.order_by("order").first()
    year = round_.years.order_by("order").first()
    council = f.OrganisationFactory(name="Exampleshire Council")
    IncomeLine.objects.create(plan=plan, funding_stream=stream, organisation=council, year=year, amount="1234567.89")
    line = ExpenditureLine.objects.create(
        plan=plan,
        scheme=scheme,
        scheme_type=entries["scheme_type"],
        area_of_spend=entries["area_of_spend"],
        commissioner=entries["commissioner"],
        provider=entries["provider"],
        funding_stream=stream,
    )
    ExpenditureAmount.objects.create(line=line, year=year, amount="1234567.89")
    # Signed last: any later change to the content would void the signatures.
    for slot in round_.signoff_slots.all():
        SignOff.objects.create(
            plan=plan,
            slot=slot,
            organisation_name=f"Organisation for {slot.code}",
            signatory_name=f"Signatory {slot.code}",
            position=f"Position {slot.code}" if slot.has_position else "",
            signed_on=datetime.date(2017, 9, 1),
        )
    return plan


@pytest.mark.parametrize("slug", ["2014-15", "2017-19"])
def test_every_question_of_the_shipped_round_appears_in_template_order(shipped_rounds, slug):
    plan = answer_everything(rm.PlanningRound.objects.get(slug=slug))
    pdf = render_plan_pdf(plan)
    text = body_text(pdf, plan)

    expected = []
    for section in rm.Section.objects.filter(round=plan.round, part=1).order_by("order"):
        expected.append(section.title)
        for question in section.questions.order_by("order"):
            answer = pm.Answer.objects.get(plan=plan, question=question)
            if question.label.lower() != section.heading.lower():  # else the heading says it
                expected.append(question.label)
            expected += {
                "narrative": lambda a: markdown_texts(a.text),
                "text": lambda a: [a.text],
                "date": lambda a: [f"{a.date:%-d %B %Y}"],
                "money": lambda a: [f"£{a.money:,.2f}"],
                "confirmation": lambda a: ["Yes" if a.confirmed else "No"],
            }[question.kind](answer)
        if section.national_condition_id:
            for cq in section.national_condition.questions.order_by("order"):
                expected += [cq.prompt, "Yes", f"Condition answer {cq.responses.get(plan=plan).narrative[17:-1]}."]
        if section.table == "signoff":
            for slot in plan.round.signoff_slots.order_by("order"):
                expected += [slot.title, f"Organisation for {slot.code}", f"Signatory {slot.code}"]
        if section.table == "documents":
            expected += ["D1", "Joint Strategic Needs Assessment", "Needs."]
        if section.table == "risks":
            expected += ["Admissions keep rising.", "Review."]
    expected += ["Summary of Part 2", "S1", "Home from hospital", "£1,234,567.89"]
    contents_end = text.find(expected[0], text.find("Contents") + 1 + len(plan.round.name))
    assert_in_order(text[contents_end:], expected)

    part2 = [s.heading for s in rm.Section.objects.filter(round=plan.round, part=2).order_by("order") if s.table]
    assert_contents_page_numbers_match(pdf, expected_contents(plan, part2))
