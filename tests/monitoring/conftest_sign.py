"""An approved Barking and Dagenham plan with its Q1 2017/18 return filled in and every part completed.

Local helpers for the sign-off, submission and review tests (the shared factories are another
branch's): the workflow cast's plan is submitted and approved, the round is given a small return
template (national conditions, income and expenditure, metrics, a narrative), and the return is
started and filled through monitoring.services, as a commissioner would.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.test import TestCase
from django.utils import timezone

from governance.models import Submission
from monitoring import selectors, services, workflow_services
from monitoring.models import Return, ReturnSubmission
from rounds.models import NationalCondition, ReturnPart, ReturnPeriod, ReturnQuestion, ReturnTemplate, RoundYear
from tests.governance.conftest import submit
from tests.governance.phased_plans import approve
from tests.governance.workflow_plans import Cast, build_workflow_plan

EXPLANATION = "Reablement started two months late because the provider could not recruit enough staff."
SLOT_CODES = ("hwb", "council", "ccg")


@dataclass
class ReturnCast:
    cast: Cast
    ret: Return
    period: ReturnPeriod

    @property
    def commissioner(self):
        return self.cast.commissioner

    @property
    def kwargs(self) -> dict:
        plan = self.ret.plan
        return {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, "period_key": self.period.key}


def add_return_template(rnd, *, deadline=None) -> ReturnPeriod:
    ReturnTemplate.objects.create(round=rnd, name="Quarterly reporting template", variance_percent=10)
    for number, title in ((1, "Plans to be jointly agreed"), (2, "Maintain provision of social care services")):
        NationalCondition.objects.get_or_create(round=rnd, number=number, defaults={"title": title})
    period = ReturnPeriod.objects.create(
        round=rnd,
        key="q1-2017-18",
        name="Quarter 1 2017/18",
        year=RoundYear.objects.get(round=rnd, label="2017/18"),
        share_of_year=25,
        period_end=datetime.date(2017, 6, 30),
        deadline=deadline or timezone.now() + datetime.timedelta(days=30),
        metric_periods=["Q1 2017/18", "2017/18"],
        order=1,
    )
    ReturnPart.objects.create(
        round=rnd, key="conditions", title="National conditions", reports_on="conditions", order=1
    )
    ReturnPart.objects.create(round=rnd, key="finance", title="Income and expenditure", reports_on="finance", order=2)
    ReturnPart.objects.create(round=rnd, key="metrics", title="Metrics", reports_on="metrics", order=3)
    narrative = ReturnPart.objects.create(round=rnd, key="narrative", title="Narrative", order=4)
    ReturnQuestion.objects.create(
        part=narrative, key="progress", kind="narrative", prompt="Describe progress against the plan", order=1
    )
    return period


def fill_return(ret: Return, user) -> None:
    """Actuals on plan except one expenditure line 25% under (explained), condition 2 not met, one metric off track."""
    lines = list(ret.lines.order_by("kind", "order"))
    under = next(x for x in lines if x.kind == "expenditure" and x.planned > 0)
    services.save_lines(
        user=user,
        ret=ret,
        changes=[
            services.LineChange(
                pk=x.pk,
                version=x.version,
                actual=(x.planned * Decimal("0.75")).quantize(Decimal("0.01")) if x == under else x.planned,
                forecast=x.planned_year,
                explanation=EXPLANATION if x == under else "",
            )
            for x in lines
        ],
    )
    metrics = list(ret.metrics.order_by("order"))
    services.save_metrics(
        user=user,
        ret=ret,
        changes=[
            services.MetricChange(
                pk=m.pk,
                version=m.version,
                actual=Decimal("100"),
                on_track=i != 0,
                reason="Winter pressures came early." if i == 0 else "",
            )
            for i, m in enumerate(metrics)
        ],
    )
    services.save_conditions(
        user=user,
        ret=ret,
        changes=[
            services.ConditionChange(
                pk=c.pk,
                version=c.version,
                met=c.number != 2,
                expected_date=datetime.date(2017, 9, 30) if c.number == 2 else None,
                explanation="The section 75 agreement is being signed again." if c.number == 2 else "",
            )
            for c in ret.conditions.order_by("number")
        ],
    )
    question = ReturnQuestion.objects.get(part__round_id=ret.plan.round_id, key="progress")
    services.save_answers(
        user=user,
        ret=ret,
        changes=[
            services.AnswerChange(
                question=question,
                version=None,
                yes=None,
                date=None,
                text="Integrated teams are live in two localities.",
            )
        ],
    )
    for part in ReturnPart.objects.filter(round_id=ret.plan.round_id):
        services.set_part_completed(user=user, ret=ret, part=part, completed=True)


def build_return_cast(*, deadline=None, filled=True) -> ReturnCast:
    cast = build_workflow_plan()
    submit(cast)
    approve(cast)
    assert Submission.objects.filter(plan=cast.plan).exists()
    period = add_return_template(cast.plan.round, deadline=deadline)
    ret = services.start_return(user=cast.commissioner, plan=cast.plan, period=period)
    if filled:
        fill_return(ret, cast.commissioner)
    ret.refresh_from_db()
    return ReturnCast(cast=cast, ret=ret, period=period)


def sign_slot(rc: ReturnCast, code: str):
    user = rc.cast.signatories[code]
    return workflow_services.sign_return(
        user=user,
        ret=rc.ret,
        slot_code=code,
        seen_content_hash=selectors.return_content_hash(rc.ret),
        signature=workflow_services.Signature(
            signatory_name=user.full_name, position="Chair" if code == "hwb" else "Director"
        ),
    )


def sign_all(rc: ReturnCast) -> None:
    for code in SLOT_CODES:
        sign_slot(rc, code)
    rc.ret.refresh_from_db()


def submit_return(rc: ReturnCast) -> ReturnSubmission:
    """Send, sign every slot and submit; the on-commit hook (the worker, eager in tests) renders the files."""
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    sign_all(rc)
    with TestCase.captureOnCommitCallbacks(execute=True):
        submission = workflow_services.submit_return(user=rc.commissioner, ret=rc.ret)
    rc.ret.refresh_from_db()
    return ReturnSubmission.objects.get(pk=submission.pk)
