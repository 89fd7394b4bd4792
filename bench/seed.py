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
from finance.rules import is_joint
from finance.selectors import split_rule_specs
from metrics.models import MetricAmbition, PlannedValue
from plans.models import Answer, ConditionResponse, Plan, Risk, SectionProgress
from rounds.columns import YES_NO
from rounds.config import bump_all_config_versions, round_config
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
from rounds.units import measure_for
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
                area_of_spend=codes["area_of_spend"][n % len(codes["area_of_spend"])],
                provider=codes["provider"][n % len(codes["provider"])],
                is_new=n % 3 == 0,
                order=n,
                **valid_line_codes(
                    round_,
                    codes,
                    scheme_type=codes["scheme_type"][n % len(codes["scheme_type"])],
                    commissioner=codes["commissioner"][n % len(codes["commissioner"])],
                    funding_stream=streams[n % len(streams)],
                ),
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
    # The round's own yes/no risk columns (2014/15's "concerns NHS providers") answered no.
    own_fields = {f.name for f in Risk._meta.fields}
    config = round_config(round_.pk, round_.config_version)
    risk_values = {c.key: False for c in config.risk_columns if c.kind == YES_NO and c.key not in own_fields}
    Risk.objects.bulk_create(
        [
            Risk(
                plan=plan,
                description=f"Risk {n}: savings in the acute sector are not realised at the pace planned.",
                rating=codes["risk_rating"][n % len(codes["risk_rating"])],
                mitigating_actions="Monthly monitoring at the joint board; contingency held in the pool.",
                owner="Director of Integrated Commissioning",
                values=risk_values,
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
                baseline_period="2013/14",
                **dict(
                    zip(
                        ("baseline_value", "baseline_numerator", "baseline_denominator"),
                        metric_figures(metric, numerator=Decimal("260")),
                        strict=True,
                    )
                ),
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
                **dict(
                    zip(
                        ("value", "numerator", "denominator"),
                        metric_figures(metric_by_id[amb.metric_id], numerator=Decimal("248")),
                        strict=True,
                    )
                ),
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
def metric_figures(metric, *, numerator: Decimal) -> tuple[Decimal, Decimal | None, Decimal | None]:
    """(value, numerator, denominator) in the metric's unit: a count has no denominator, a percentage
    is at most 100 (numerator of 400), anything else a rate of the numerator over 40,000 people."""
    measure = measure_for(metric)
    if measure is None or not measure.unit.has_denominator:
        return numerator * 20, None, None
    denominator = Decimal(400) if measure.unit.maximum is not None else Decimal(40000)
    return measure.compute(numerator, denominator), numerator, denominator


def valid_line_codes(round_, codes, *, scheme_type, commissioner, funding_stream) -> dict:
    """A line's type, sub-type, commissioner, stream and split as the round's line rules want them:
    the type's first sub-type when it has sub-types, and a 50/50 split on a jointly commissioned line."""
    sub_types = [c for c in codes[CodeListEntry.List.SCHEME_SUBTYPE] if c.parent_id == scheme_type.pk]
    split_rules = split_rule_specs(round_config(round_.pk, round_.config_version))
    joint = is_joint(split_rules, commissioner.code, funding_stream.key)
    half = Decimal(50) if joint else None
    return {
        "scheme_type": scheme_type,
        "sub_type": sub_types[0] if sub_types else None,
        "commissioner": commissioner,
        "funding_stream": funding_stream,
        "percent_nhs": half,
        "percent_la": half,
    }


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
                area_of_spend=s.area_of_spend,
                provider=codes["provider"][0],
                order=n,
                **valid_line_codes(
                    round_,
                    codes,
                    scheme_type=s.scheme_type,
                    commissioner=codes["commissioner"][0],
                    funding_stream=streams[n % len(streams)],
                ),
            )
            for n, s in enumerate(schemes)
        ]
    )
    ExpenditureAmount.objects.bulk_create(
        [ExpenditureAmount(line=line, year=year, amount=Decimal("1000.00")) for line in lines for year in years]
    )


RETURNS_APPROVED_SHARE = SUBMITTED_SHARE  # the submitted plans are approved, so they make returns
RETURNS_DRAFT_SHARE = 3  # every third of those returns is still in progress
RETURNS_LATE_SHARE = 5  # every fifth submitted return came in three days after the deadline


@transaction.atomic
def seed_returns(*, plans: list[Plan], users: list[User], period_key: str = "") -> dict:
    """Approve every third bench plan and give it a return for the round's first period (or `period_key`).

    Two in three returns are submitted, each with an immutable ReturnSubmission whose snapshot is the
    return's content; the rest are in progress. Lines mirror the plan's income and expenditure for
    the period's year, with actuals 5% under plan. Written in bulk, as the rest of the seed is.
    """
    from datetime import timedelta

    from django.utils import timezone

    from governance.models import Review, Submission
    from monitoring.models import Return, ReturnLine, ReturnMetric, ReturnSubmission
    from rounds.models import OutcomeCategory, ReturnPeriod

    round_ = plans[0].round
    periods = ReturnPeriod.objects.filter(round=round_).select_related("year").order_by("order")
    period = periods.get(key=period_key) if period_key else periods.first()
    share = period.share_of_year / 100
    commissioner = dict(zip([p.pk for p in plans], users, strict=True))
    chosen = [plan for n, plan in enumerate(plans) if n % RETURNS_APPROVED_SHARE == 0]
    Plan.objects.filter(pk__in=[p.pk for p in chosen]).update(status=Plan.Status.APPROVED)
    for plan in chosen:
        plan.status = Plan.Status.APPROVED
    approval = OutcomeCategory.objects.filter(round=round_, is_approval=True).order_by("order").first()
    decided = timezone.now()
    submissions = Submission.objects.bulk_create(
        [
            Submission(
                plan=plan,
                version=plan.version,
                snapshot={"content": {}, "note": "bench: the plan's rows are its content"},
                snapshot_sha256="0" * 64,
                submitted_by=commissioner[plan.pk],
                submitted_at=decided,
            )
            for plan in chosen
        ]
    )
    Review.objects.bulk_create(
        [
            Review(submission=s, assurer=commissioner[s.plan_id], outcome=approval, decided_at=decided)
            for s in submissions
        ]
    )
    returns = Return.objects.bulk_create(
        [
            Return(plan=plan, period=period, approved_submission=s, created_by=commissioner[plan.pk])
            for plan, s in zip(chosen, submissions, strict=True)
        ]
    )
    by_plan = {r.plan_id: r for r in returns}
    lines = []
    for n, income in enumerate(
        IncomeLine.objects.filter(plan__in=chosen, year=period.year)
        .select_related("funding_stream", "organisation")
        .order_by("plan_id", "pk")
    ):
        lines.append(_return_line(by_plan[income.plan_id], "income", f"income-{n}", income.funding_stream.name,
                                  income.organisation.name, income.amount, share))  # fmt: skip
    for n, amount in enumerate(
        ExpenditureAmount.objects.filter(line__plan__in=chosen, year=period.year)
        .select_related("line__scheme", "line__scheme_type", "line__provider", "line__funding_stream")
        .order_by("line__plan_id", "line__order")
    ):
        line = amount.line
        detail = f"{line.scheme_type.label} · {line.provider.label} · {line.funding_stream.name}"
        lines.append(_return_line(by_plan[line.plan_id], "expenditure", f"expenditure-{n}", line.scheme.name,
                                  detail, amount.amount, share))  # fmt: skip
    ReturnLine.objects.bulk_create(lines)
    metrics = [
        ReturnMetric(
            ret=ret,
            source_key=metric.key,
            name=metric.name,
            ambition_period=period.year.label,
            ambition=Decimal("620.0"),
            actual=Decimal("615.0") if i % 2 else Decimal("640.0"),
            on_track=bool(i % 2),
            reason="" if i % 2 else "Admissions rose over the winter.",
            order=i,
        )
        for ret in returns
        for i, metric in enumerate(round_.metrics.order_by("order"), start=1)
    ]
    ReturnMetric.objects.bulk_create(metrics)

    lines_of: dict[int, list] = {}
    for line in lines:
        lines_of.setdefault(line.ret_id, []).append(line)
    metrics_of: dict[int, list] = {}
    for metric in metrics:
        metrics_of.setdefault(metric.ret_id, []).append(metric)
    submitted = [ret for n, ret in enumerate(returns) if n % RETURNS_DRAFT_SHARE != RETURNS_DRAFT_SHARE - 1]
    Return.objects.filter(pk__in=[r.pk for r in submitted]).update(status=Return.Status.SUBMITTED)
    on_time = period.deadline - timedelta(days=2)
    ReturnSubmission.objects.bulk_create(
        [
            ReturnSubmission(
                ret=ret,
                version=ret.version,
                snapshot=_return_snapshot(period, lines_of.get(ret.pk, []), metrics_of.get(ret.pk, [])),
                snapshot_sha256="0" * 64,
                submitted_by=commissioner[ret.plan_id],
                submitted_at=on_time + timedelta(days=5) if n % RETURNS_LATE_SHARE == 0 else on_time,
                is_late=n % RETURNS_LATE_SHARE == 0,
            )
            for n, ret in enumerate(submitted)
        ]
    )
    return {"period": period, "returns": returns, "submitted": submitted}


def _return_line(ret, kind, key, label, detail, planned_year, share):
    from monitoring.models import ReturnLine

    planned = (planned_year * share).quantize(Decimal("0.01"))
    return ReturnLine(
        ret=ret,
        kind=kind,
        source_key=key,
        label=label,
        detail=detail,
        planned_year=planned_year,
        planned=planned,
        actual=(planned * Decimal("0.95")).quantize(Decimal("0.01")),
        forecast=planned_year,
        order=int(key.rsplit("-", 1)[1]),
    )


def _return_snapshot(period, lines, metrics) -> dict:
    """The return's content in monitoring.selectors.return_content's shape, from the rows just written."""
    return {
        "period": period.key,
        "lines": [
            {
                "kind": x.kind,
                "source_key": x.source_key,
                "label": x.label,
                "detail": x.detail,
                "planned_year": str(x.planned_year),
                "planned": str(x.planned),
                "actual": str(x.actual),
                "forecast": str(x.forecast),
                "explanation": x.explanation,
            }
            for x in sorted(lines, key=lambda x: (x.kind, x.order))
        ],
        "metrics": [
            {
                "source_key": m.source_key,
                "name": m.name,
                "unit": m.unit,
                "ambition_period": m.ambition_period,
                "ambition": str(m.ambition),
                "actual": str(m.actual),
                "on_track": m.on_track,
                "reason": m.reason,
            }
            for m in metrics
        ],
        "conditions": [],
        "answers": [],
    }


def sign_off_plans(*, plans: list[Plan], users: list[User]) -> None:
    """Take draft plans through sign-off as the workflow does, so each is Signed off and ready to submit.

    Each plan's commissioner (users, in the plans' order) sends it for sign-off, and a signatory of
    each of the round's slots, created here, signs the content they were shown.
    """
    from governance import services
    from governance.snapshots import plan_content_hash
    from rounds.models import SignOffSlot

    slots = list(SignOffSlot.objects.filter(round_id=plans[0].round_id).order_by("order"))
    hashed = users[0].password
    for plan, commissioner in zip(plans, users, strict=True):
        plan = Plan.objects.select_related("round", "hwb_area").get(pk=plan.pk)
        services.send_for_signoff(user=commissioner, plan=plan)
        for slot in slots:
            signer = User.objects.create(
                email=f"{slot.code}-{plan.hwb_area.ons_code.lower()}@bench.local",
                full_name=f"{slot.code.title()} signatory",
                job_title="Chair",
                password=hashed,
            )
            Membership.objects.create(
                user=signer, role=Membership.Role.SIGNATORY, hwb_area=plan.hwb_area, signoff_slot_code=slot.code
            )
            plan.refresh_from_db()
            services.sign_plan(
                user=signer,
                plan=plan,
                slot_code=slot.code,
                signature=services.Signature(signatory_name=signer.full_name, position=signer.job_title),
                seen_content_hash=plan_content_hash(plan),
            )
        plan.refresh_from_db()
        if plan.status != Plan.Status.SIGNED_OFF:
            raise RuntimeError(f"{plan} is {plan.status} after signing, not signed off")
