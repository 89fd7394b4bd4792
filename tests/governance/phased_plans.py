"""A plan with two phases for the phase tests: the plan, and a planning update against it.

The workflow cast's 2017-19 plan is given a planning update that asks for one section of its own
(pre-filled from the plan's vision) and the plan's expenditure.
"""

import datetime
from decimal import Decimal

from django.test import TestCase
from django.utils import timezone

from governance import services
from plans import services as plan_services
from plans.models import Plan, SectionProgress
from plans.selectors import plan_sections
from rounds.loader import load_round, resolve_round_path
from rounds.models import HwbArea, KeyLineOfEnquiry, OutcomeCategory, Question, RoundPhase, Section
from tests import factories as f
from tests.governance.conftest import sign_all, submit
from tests.governance.workflow_plans import Cast, _user


def add_update_phase(rnd, **phase):
    """The plan phase, and a planning update asking for its own section and the plan's expenditure."""
    f.RoundPhaseFactory(round=rnd, key="plan", name="Plan", order=1)
    update = f.RoundPhaseFactory(
        round=rnd,
        key="update-2024-25",
        name="2024/25 planning update",
        order=2,
        deadline=timezone.now() + datetime.timedelta(days=60),
        **phase,
    )
    vision = Section.objects.get(round=rnd, key="vision")
    own = f.SectionFactory(
        round=rnd, key="update", number="", heading="What has changed", order=40, phase=update, prefill_from=vision
    )
    f.QuestionFactory(section=own, key="vision", label="Vision", kind="narrative", order=1)
    f.QuestionFactory(section=own, key="changes", label="What has changed since the plan", kind="narrative", order=2)
    update.sections.set([own, Section.objects.get(round=rnd, key="expenditure")])
    return update


def approve(cast):
    ratings = {k.pk: ("met", "Clear evidence.") for k in KeyLineOfEnquiry.objects.filter(round=cast.plan.round)}
    services.rate_kloes(user=cast.assurer, plan=cast.plan, ratings=ratings)
    outcome = OutcomeCategory.objects.get(round=cast.plan.round, code="approved")
    services.decide(user=cast.assurer, plan=cast.plan, outcome=outcome, summary="A sound plan.")
    cast.plan.refresh_from_db()


def approve_with_update_phase(cast):
    """The cast's plan submitted and approved, in a round whose next phase is the update; (cast, update, submission)."""
    update = add_update_phase(cast.plan.round)
    first = submit(cast)
    approve(cast)
    assert cast.plan.status == Plan.Status.APPROVED
    return cast, update, first


def fill_update(cast):
    """The commissioner writes what changed and marks the update's sections completed."""
    plan = cast.plan
    own = Section.objects.get(round=plan.round, key="update")
    answers = {a.question.key: a for a in plan.answers.filter(question__section=own).select_related("question")}
    plan_services.save_section(
        user=cast.commissioner,
        plan=plan,
        section=own,
        answers={
            "vision": plan_services.AnswerEdit(answers["vision"].text, answers["vision"].version),
            "changes": plan_services.AnswerEdit("Two more reablement teams from October."),
        },
        complete=True,
    )
    plan_services.complete_section(
        user=cast.commissioner, plan=plan, section=Section.objects.get(round=plan.round, key="expenditure")
    )
    plan.refresh_from_db()


# --- A 2023-25 plan, approved, in the shipped round with its 2024/25 planning update ------------

SLOT_ROLES = {"icb": "Accountable Officer", "council": "Chief Executive", "hwb": "Chair"}


def _meets_the_rounds_rules(plan: Plan) -> None:
    """Part 2 that passes every rule: each mandatory stream's allocation pooled and spent, the NHS
    minimum on ICB-commissioned social care (so it counts for both ring-fences), every metric planned."""
    rnd = plan.round
    area = plan.hwb_area
    council = f.OrganisationFactory(name="London Borough of Barking and Dagenham (test)", kind="local_authority")
    icb = f.OrganisationFactory(name="NHS North East London ICB (test)", kind="icb")
    council.hwb_areas.add(area)
    icb.hwb_areas.add(area)
    codes = {(c.list, c.code): c for c in rnd.code_entries.all()}
    allocations = {(a.year_id, a.key): a.amount for a in rnd.allocations.filter(hwb_area=area)}
    # A stream allocated per ICB (icb_allocations) is shared out locally: this area takes what its
    # minimum pool needs beyond its own allocations, from the real ICB that holds the money.
    mandatory = list(rnd.funding_streams.filter(is_mandatory=True).order_by("order"))
    icb_held = {(a.year_id, a.funding_stream.key): a for a in rnd.icb_allocations.select_related("funding_stream")}
    for year_id, key in icb_held:
        own = sum(allocations.get((year_id, s.key), 0) for s in mandatory)
        allocations[(year_id, key)] = allocations[(year_id, "minimum_pool")] - own
    for order, stream in enumerate(mandatory):
        scheme = f.PartTwoSchemeFactory(
            plan=plan,
            reference=f"BD{order + 1:02d}",
            name=f"{stream.name} services",
            scheme_type=rnd.code_entries.filter(list="scheme_type").order_by("order").first(),
            lead_commissioner=codes[("commissioner", "icb")],
            area_of_spend=codes[("area_of_spend", "social-care")],
        )
        line = f.ExpenditureLineFactory(
            plan=plan,
            scheme=scheme,
            provider=rnd.code_entries.filter(list="provider").order_by("order").first(),
            funding_stream=stream,
            order=order,
        )
        for year in rnd.years.order_by("order"):
            amount = allocations[(year.pk, stream.key)]
            f.IncomeLineFactory(
                plan=plan,
                funding_stream=stream,
                organisation=icb_held[(year.pk, stream.key)].organisation
                if (year.pk, stream.key) in icb_held
                else icb
                if stream.contributor == "nhs"
                else council,
                year=year,
                amount=amount,
            )
            output = 100 if line.scheme_type.output_unit_id else None  # a type with a unit plans its output
            f.ExpenditureAmountFactory(line=line, year=year, amount=amount, planned_output=output)
    for order, metric in enumerate(rnd.metrics.order_by("order")):
        ambition = f.MetricAmbitionFactory(
            plan=plan, metric=metric, baseline_value=Decimal("100.0"), rationale="Plausible test figure.", order=order
        )
        for i, period in enumerate(metric.periods):
            f.PlannedValueFactory(ambition=ambition, period=period, value=Decimal("95.0"), order=i)


def approved_2023_25_plan() -> tuple[Cast, RoundPhase]:
    """Barking and Dagenham's 2023-25 plan in the shipped round, complete, signed, submitted and approved."""
    rnd = load_round(resolve_round_path("2023-25"))
    area = HwbArea.objects.get(ons_code="E09000002")
    plan = f.PlanFactory(round=rnd, hwb_area=area)
    _meets_the_rounds_rules(plan)
    summary = Question.objects.get(section__round=rnd, section__key="summary", key="summary")
    f.AnswerFactory(plan=plan, question=summary, text="Home first: people stay well and independent at home.")
    for section in plan_sections(plan).exclude(table=Section.Table.SIGNOFF):
        SectionProgress.objects.update_or_create(
            plan=plan, section=section, defaults={"status": SectionProgress.Status.COMPLETED}
        )
    other_region = f.RegionFactory(code="TST", name="Test region")
    other_area = f.HwbAreaFactory(ons_code="E06999998", name="Farshire", region=other_region)
    cast = Cast(
        plan=plan,
        commissioner=_user("commissioner@lbbd.example", "Chris Commissioner", role="commissioner", hwb_area=area),
        signatories={
            code: _user(
                f"{code}@lbbd.example", f"Signatory {code}", role="signatory", hwb_area=area, signoff_slot_code=code
            )
            for code in SLOT_ROLES
        },
        assurer=_user("assurer@england.example", "Alex Assurer", role="assurer", region=area.region),
        viewer=_user("viewer@lbbd.example", "Vic Viewer", role="viewer", hwb_area=area),
        national_admin=_user("national@england.example", "Nia National", role="national_admin"),
        foreign_commissioner=_user(
            "commissioner@far.example", "Far Commissioner", role="commissioner", hwb_area=other_area
        ),
        foreign_assurer=_user("assurer@far.example", "Far Assurer", role="assurer", region=other_region),
    )
    services.send_for_signoff(user=cast.commissioner, plan=plan)
    sign_all(cast, slots=tuple(SLOT_ROLES))
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.submit_plan(user=cast.commissioner, plan=plan)
    approve(cast)
    return cast, rnd.phases.get(key="update-2024-25")
