"""Seeds a national-scale dataset for the benchmark: every HWB area with a full plan.

Each plan has narrative in every Part 1 section, 40 schemes, 120 income and expenditure
lines, 20 risks and every metric. Rows are written with bulk_create so seeding 150 plans
takes seconds, not minutes.
"""

import itertools
from collections import Counter
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Membership, User
from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from metrics.models import MetricAmbition, PlannedValue
from plans.models import Answer, ConditionResponse, Plan, Risk, SectionProgress
from rounds.config import bump_all_config_versions
from rounds.models import (
    Allocation,
    CodeListEntry,
    ConditionQuestion,
    HwbArea,
    Organisation,
    PlanningRound,
    Question,
    Region,
    Section,
)
from schemes.models import Scheme

ROUND_SLUG = "2014-15"
AREAS = 150
SCHEMES = 40
INCOME_LINES = 20  # streams x organisations x years
EXPENDITURE_LINES = 100  # with an amount for each year: 20 + 100 = 120 lines
RISKS = 20
INCOME_AMOUNT = Decimal("1500000.00")  # each income line
SUBMITTED_SHARE = 3  # every third plan is submitted, so assurers have a dashboard to read

NARRATIVE = """## What we will do

Partners across the area will bring community health, social care and voluntary services
together around neighbourhoods of 30,000 to 50,000 people, so that people get joined-up
support close to home and fewer need to go into hospital or a care home.

- Integrated teams built around clusters of general practices
- A single point of access for professionals, seven days a week
- Reablement capacity increased to meet demand from hospital discharges
- Shared care records based on the NHS Number

| Measure | Baseline | Target |
| --- | --- | --- |
| Emergency admissions | 10,250 | 9,890 |
| Delayed days per month | 610 | 540 |

We will review progress quarterly at the joint commissioning board and report to the
Health and Wellbeing Board twice a year, with an annual refresh of the plan.
"""


def bench_password_hash(password: str) -> str:
    return make_password(password)


@transaction.atomic
def seed_national_dataset(*, password: str, areas: int = AREAS) -> dict:
    """Create `areas` bench areas, each with a full plan and a commissioner; returns what the bench needs."""
    round_ = PlanningRound.objects.get(slug=ROUND_SLUG)
    regions = list(Region.objects.order_by("code"))
    years = list(round_.years.order_by("order"))
    sections = list(Section.objects.filter(round=round_).order_by("order"))
    questions = list(Question.objects.filter(section__round=round_).order_by("section__order", "order"))
    condition_questions = list(ConditionQuestion.objects.filter(condition__round=round_))
    codes = {name: list(CodeListEntry.objects.filter(round=round_, list=name)) for name in CodeListEntry.List.values}
    streams = list(round_.funding_streams.order_by("order"))
    metrics = list(round_.metrics.order_by("order"))
    hashed = bench_password_hash(password)

    new_areas = HwbArea.objects.bulk_create(
        [
            HwbArea(ons_code=f"E99{n:06d}", name=f"Bench area {n:03d}", region=regions[n % len(regions)])
            for n in range(1, areas + 1)
        ]
    )
    councils = Organisation.objects.bulk_create(
        [Organisation(name=f"{a.name} Council", kind=Organisation.Kind.LOCAL_AUTHORITY) for a in new_areas]
    )
    ccgs = Organisation.objects.bulk_create(
        [Organisation(name=f"{a.name} CCG", kind=Organisation.Kind.CCG) for a in new_areas]
    )
    providers = Organisation.objects.bulk_create(
        [Organisation(name=f"{a.name} Community Trust", kind=Organisation.Kind.PROVIDER) for a in new_areas]
    )
    area_organisations = list(zip(councils, ccgs, providers, strict=True))
    Organisation.hwb_areas.through.objects.bulk_create(
        [
            Organisation.hwb_areas.through(organisation_id=org.pk, hwbarea_id=area.pk)
            for area, organisations in zip(new_areas, area_organisations, strict=True)
            for org in organisations
        ]
    )
    Allocation.objects.bulk_create(
        [
            Allocation(round=round_, hwb_area=area, year=year, key="minimum_pool", amount=Decimal("5000000.00"))
            for area in new_areas
            for year in years
        ]
    )
    plans = Plan.objects.bulk_create(
        [
            Plan(
                round=round_,
                hwb_area=area,
                status=Plan.Status.SUBMITTED if n % SUBMITTED_SHARE == 0 else Plan.Status.DRAFT,
            )
            for n, area in enumerate(new_areas)
        ]
    )
    users = User.objects.bulk_create(
        [
            User(email=f"commissioner{n:03d}@bench.local", full_name=f"Commissioner {n}", password=hashed)
            for n in range(1, areas + 1)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, role=Membership.Role.COMMISSIONER, hwb_area=a)
            for u, a in zip(users, new_areas, strict=True)
        ]
    )

    Answer.objects.bulk_create([Answer(plan=plan, question=q, **_answer_value(q)) for plan in plans for q in questions])
    SectionProgress.objects.bulk_create(
        [
            SectionProgress(plan=plan, section=s, status=SectionProgress.Status.COMPLETED)
            for plan in plans
            for s in sections
        ]
    )
    ConditionResponse.objects.bulk_create(
        [
            ConditionResponse(plan=plan, question=q, status=ConditionResponse.Status.YES, narrative=NARRATIVE[:600])
            for plan in plans
            for q in condition_questions
        ]
    )
    schemes = Scheme.objects.bulk_create(
        [
            Scheme(
                plan=plan,
                reference=f"S{n:02d}",
                name=f"Scheme {n}: community support",
                scheme_type=codes["scheme_type"][n % len(codes["scheme_type"])],
                lead_commissioner=codes["commissioner"][n % len(codes["commissioner"])],
                area_of_spend=codes["area_of_spend"][n % len(codes["area_of_spend"])],
                provider="Community health and care partnership",
                description=NARRATIVE[:400],
                is_new=n % 2 == 0,
                order=n,
            )
            for plan in plans
            for n in range(1, SCHEMES + 1)
        ]
    )
    schemes_by_plan = {plan_id: list(group) for plan_id, group in itertools.groupby(schemes, key=lambda s: s.plan_id)}
    # Each area's three organisations (council, CCG, provider) in turn, for every stream and year.
    income_cycle = [(s, i, y) for s in streams for i in range(3) for y in years]
    assert len(income_cycle) >= INCOME_LINES, "the round has too few streams for the bench's income lines"
    IncomeLine.objects.bulk_create(
        [
            IncomeLine(
                plan=plan,
                funding_stream=stream,
                organisation=organisations[i],
                year=year,
                amount=INCOME_AMOUNT,
            )
            for plan, organisations in zip(plans, area_organisations, strict=True)
            for stream, i, year in income_cycle[:INCOME_LINES]
        ]
    )
    # Each stream's income is spread evenly over its expenditure lines, so every plan's spend accounts
    # for its whole pooled budget within each stream, as a completed plan's must (finance.rules).
    income_per_stream = Counter((stream.pk, year.pk) for stream, _, year in income_cycle[:INCOME_LINES])
    lines_per_stream = Counter(streams[n % len(streams)].pk for n in range(EXPENDITURE_LINES))
    spend_per_line = {
        (stream.pk, year.pk): INCOME_AMOUNT * income_per_stream[(stream.pk, year.pk)] / lines_per_stream[stream.pk]
        for stream in streams
        for year in years
    }
    lines = ExpenditureLine.objects.bulk_create(
        [
            ExpenditureLine(
                plan=plan,
                scheme=schemes_by_plan[plan.pk][n % SCHEMES],
                scheme_type=codes["scheme_type"][n % len(codes["scheme_type"])],
                area_of_spend=codes["area_of_spend"][n % len(codes["area_of_spend"])],
                commissioner=codes["commissioner"][n % len(codes["commissioner"])],
                provider=codes["provider"][n % len(codes["provider"])],
                funding_stream=streams[n % len(streams)],
                is_new=n % 3 == 0,
                order=n,
            )
            for plan in plans
            for n in range(EXPENDITURE_LINES)
        ]
    )
    ExpenditureAmount.objects.bulk_create(
        [
            ExpenditureAmount(line=line, year=year, amount=spend_per_line[(line.funding_stream_id, year.pk)])
            for line in lines
            for year in years
        ]
    )
    Risk.objects.bulk_create(
        [
            Risk(
                plan=plan,
                description=f"Risk {n}: savings in the acute sector are not realised at the pace planned.",
                rating=codes["risk_rating"][n % len(codes["risk_rating"])],
                mitigating_actions="Monthly monitoring at the joint board; contingency held in the pool.",
                owner="Director of Integrated Commissioning",
                order=n,
            )
            for plan in plans
            for n in range(1, RISKS + 1)
        ]
    )
    ambitions = MetricAmbition.objects.bulk_create(
        [
            MetricAmbition(
                plan=plan,
                metric=metric,
                baseline_value=Decimal("650.0"),
                baseline_period="2013/14",
                baseline_numerator=Decimal("260"),
                baseline_denominator=Decimal("40000"),
                rationale="Based on the trend of the last three years and the effect of reablement.",
                order=metric.order,
            )
            for plan in plans
            for metric in metrics
        ]
    )
    metric_by_id = {m.pk: m for m in metrics}
    PlannedValue.objects.bulk_create(
        [
            PlannedValue(
                ambition=amb,
                period=period,
                value=Decimal("620.0"),
                numerator=Decimal("248"),
                denominator=Decimal("40000"),
                order=i,
            )
            for amb in ambitions
            for i, period in enumerate(metric_by_id[amb.metric_id].periods)
        ]
    )
    # Bulk inserts send no signals: renew the cached round configuration (allocations, organisations).
    bump_all_config_versions()
    return {"plans": plans, "users": users}


def _answer_value(question: Question) -> dict:
    kind = question.kind
    if kind == Question.Kind.NARRATIVE:
        return {"text": NARRATIVE}
    if kind == Question.Kind.DATE:
        import datetime

        return {"date": datetime.date(2014, 2, 14)}
    if kind == Question.Kind.MONEY:
        return {"money": Decimal("10000000.00")}
    if kind == Question.Kind.CONFIRMATION:
        return {"confirmed": True}
    return {"text": "Bench area council and CCG"}


@transaction.atomic
def resize_schemes(*, plan: Plan, count: int) -> None:
    """Give one plan exactly `count` schemes (and expenditure lines on them), for query-count checks."""
    ExpenditureLine.objects.filter(plan=plan).delete()
    Scheme.objects.filter(plan=plan).delete()
    round_ = plan.round
    codes = {name: list(CodeListEntry.objects.filter(round=round_, list=name)) for name in CodeListEntry.List.values}
    streams = list(round_.funding_streams.order_by("order"))
    years = list(round_.years.order_by("order"))
    schemes = Scheme.objects.bulk_create(
        [
            Scheme(
                plan=plan,
                reference=f"S{n:02d}",
                name=f"Scheme {n}",
                scheme_type=codes["scheme_type"][n % len(codes["scheme_type"])],
                lead_commissioner=codes["commissioner"][0],
                area_of_spend=codes["area_of_spend"][n % len(codes["area_of_spend"])],
                order=n,
            )
            for n in range(1, count + 1)
        ]
    )
    lines = ExpenditureLine.objects.bulk_create(
        [
            ExpenditureLine(
                plan=plan,
                scheme=s,
                scheme_type=s.scheme_type,
                area_of_spend=s.area_of_spend,
                commissioner=codes["commissioner"][0],
                provider=codes["provider"][0],
                funding_stream=streams[n % len(streams)],
                order=n,
            )
            for n, s in enumerate(schemes)
        ]
    )
    ExpenditureAmount.objects.bulk_create(
        [ExpenditureAmount(line=line, year=year, amount=Decimal("1000.00")) for line in lines for year in years]
    )
