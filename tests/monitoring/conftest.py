"""Fixtures for the monitoring tests: an approved plan whose round has a return template, and its Q1 return.

`approved_plan` is the governance workflow's Barking and Dagenham 2017-19 plan (tests/governance),
submitted and approved, in a round given a quarterly return template like the shipped 2017-19 one.
`q1_return` is its Q1 2017/18 return, started by the area's commissioner (pre-filled from the
approved submission).
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring import services
from rounds.models import ReturnPart, ReturnQuestion, RoundYear
from tests import factories as f
from tests.governance.conftest import submit
from tests.governance.phased_plans import approve
from tests.governance.workflow_plans import build_workflow_plan


def add_return_template(rnd):
    """A quarterly return for the round: two periods, and a part of each kind."""
    f.ReturnTemplateFactory(round=rnd, variance_percent=Decimal("10"))
    year = RoundYear.objects.get(round=rnd, label="2017/18")
    q1 = f.ReturnPeriodFactory(
        round=rnd,
        key="q1-2017-18",
        name="Quarter 1 2017/18",
        year=year,
        share_of_year=Decimal("25"),
        period_end=datetime.date(2017, 6, 30),
        deadline=timezone.now() + datetime.timedelta(days=30),
        metric_periods=["Q1 2017/18", "2017/18"],
        order=1,
    )
    f.ReturnPeriodFactory(
        round=rnd,
        key="q2-2017-18",
        name="Quarter 2 2017/18",
        year=year,
        share_of_year=Decimal("50"),
        period_end=datetime.date(2017, 9, 30),
        deadline=timezone.now() - datetime.timedelta(days=1),  # already past: a late return
        metric_periods=["Q2 2017/18", "2017/18"],
        order=2,
    )
    budget = f.ReturnPartFactory(round=rnd, key="budget", title="Budget arrangements", order=1)
    f.ReturnQuestionFactory(
        part=budget,
        key="s75-in-place",
        kind=ReturnQuestion.Kind.YES_NO,
        prompt="Is the section 75 pooled budget agreement in place?",
        order=1,
    )
    f.ReturnQuestionFactory(
        part=budget,
        key="figures-agreed",
        kind=ReturnQuestion.Kind.CONFIRM,
        prompt="The HWB agreed these figures",
        order=2,
    )
    f.ReturnPartFactory(round=rnd, key="conditions", title="National conditions", reports_on="conditions", order=2)
    f.ReturnPartFactory(round=rnd, key="finance", title="Income and expenditure", reports_on="finance", order=3)
    f.ReturnPartFactory(round=rnd, key="metrics", title="Metrics", reports_on="metrics", order=4)
    narrative = f.ReturnPartFactory(round=rnd, key="narrative", title="Narrative", order=5)
    f.ReturnQuestionFactory(
        part=narrative, key="progress", kind=ReturnQuestion.Kind.NARRATIVE, prompt="Describe progress", order=1
    )
    for number, title in [(1, "Plans to be jointly agreed"), (2, "Social care maintained")]:
        f.NationalConditionFactory(round=rnd, number=number, title=title)
    return q1


@pytest.fixture
def approved_plan(db):
    """The workflow cast (tests/governance/workflow_plans.Cast) with its plan submitted and approved."""
    cast = build_workflow_plan()
    add_return_template(cast.plan.round)
    submit(cast)
    approve(cast)
    return cast


@pytest.fixture
def q1_return(approved_plan):
    period = approved_plan.plan.round.return_periods.get(key="q1-2017-18")
    return services.start_return(user=approved_plan.commissioner, plan=approved_plan.plan, period=period)


def part(ret, key: str) -> ReturnPart:
    return ReturnPart.objects.get(round_id=ret.plan.round_id, key=key)
