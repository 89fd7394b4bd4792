"""A small country for the API's tests: two regions, three areas' plans with every kind of row, and
a token for each role. Every call in these tests sends a real `Authorization: Bearer` header."""

import datetime
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.permissions import forget_memberships
from api.models import ApiToken
from api.tokens import issue_token
from plans.models import Plan
from tests.factories import (
    ConditionResponseFactory,
    ExpenditureAmountFactory,
    FundingStreamFactory,
    HwbAreaFactory,
    IncomeLineFactory,
    MembershipFactory,
    MetricAmbitionFactory,
    OutcomeCategoryFactory,
    PlanFactory,
    PlanGroupFactory,
    PlannedValueFactory,
    PlanningRoundFactory,
    RegionFactory,
    ReturnFactory,
    ReturnLineFactory,
    ReturnPeriodFactory,
    ReviewConditionFactory,
    ReviewFactory,
    RoundYearFactory,
    SubmissionFactory,
    UserFactory,
)

R = Membership.Role
S = Plan.Status


@dataclass
class Country:
    plans: dict[str, Plan]
    users: dict[str, object]
    keys: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)

    def client(self, role: str) -> APIClient:
        client = APIClient()
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.keys[role]}")
        return client


def _fill(plan, year, stream, outcome, period, *, submitted: bool, returned: bool):
    IncomeLineFactory(plan=plan, year=year, funding_stream=stream, note=f"income of {plan.hwb_area.name}")
    ExpenditureAmountFactory(line__plan=plan, line__funding_stream=stream, year=year)
    PlannedValueFactory(ambition=MetricAmbitionFactory(plan=plan), period="2025/26")
    ConditionResponseFactory(plan=plan, narrative=f"condition of {plan.hwb_area.name}")
    if submitted:
        submission = SubmissionFactory(plan=plan)
        review = ReviewFactory(submission=submission, outcome=outcome, decided_at=timezone.now(), summary="Approved.")
        ReviewConditionFactory(review=review, text="Report on discharge.", due_date=datetime.date(2026, 3, 31))
        ReviewFactory(submission=submission)  # a review still in progress: never shown
        if returned:
            ret = ReturnFactory(plan=plan, period=period, approved_submission=submission, status="submitted")
            ReturnLineFactory(ret=ret)


@pytest.fixture
def country(db) -> Country:
    rnd = PlanningRoundFactory(slug="api-2030-31", name="BCF 2025 to 2026")
    year = RoundYearFactory(round=rnd, label="2025/26", order=1)
    stream = FundingStreamFactory(round=rnd, key="nhs-minimum")
    outcome = OutcomeCategoryFactory(round=rnd, code="approved", label="Approved", is_approval=True)
    period = ReturnPeriodFactory(round=rnd, year=year)
    north, south = RegionFactory(code="RN", name="North"), RegionFactory(code="RS", name="South")
    own = HwbAreaFactory(ons_code="E06000001", name="Ownshire", region=north)
    neighbour = HwbAreaFactory(ons_code="E06000002", name="Nextshire", region=north)
    foreign = HwbAreaFactory(ons_code="E06000003", name="Farshire", region=south)
    group = PlanGroupFactory(round=rnd, name="Northern alliance")
    plans = {
        "own_draft": PlanFactory(round=rnd, hwb_area=own, status=S.DRAFT, group=group),
        "neighbour_approved": PlanFactory(round=rnd, hwb_area=neighbour, status=S.APPROVED, group=group),
        "foreign_submitted": PlanFactory(round=rnd, hwb_area=foreign, status=S.SUBMITTED),
    }
    _fill(plans["own_draft"], year, stream, outcome, period, submitted=False, returned=False)
    _fill(plans["neighbour_approved"], year, stream, outcome, period, submitted=True, returned=True)
    _fill(plans["foreign_submitted"], year, stream, outcome, period, submitted=True, returned=False)

    def member(role, **scope):
        return MembershipFactory(role=role, **{"hwb_area": None, **scope}).user

    users = {
        "commissioner": member(R.COMMISSIONER, hwb_area=own),
        "signatory": member(R.SIGNATORY, hwb_area=own, signoff_slot_code="hwb-chair"),
        "viewer": member(R.VIEWER, hwb_area=own),
        "assurer": member(R.ASSURER, region=north),
        "foreign_commissioner": member(R.COMMISSIONER, hwb_area=foreign),
        "foreign_assurer": member(R.ASSURER, region=south),
        "national_admin": member(R.NATIONAL_ADMIN),
        "nobody": UserFactory(),  # signed up, no role anywhere
    }
    users["national_admin_south_token"] = users["national_admin"]
    result = Country(plans=plans, users=users)
    for role, user in users.items():
        scope = {"scope": ApiToken.Scope.REGION, "region": south} if role.endswith("_south_token") else {}
        if role == "nobody":
            # A token whose user has since lost every role (issue_token refuses a user without one).
            with_role = MembershipFactory(user=user, role=R.VIEWER, hwb_area=foreign)
            result.tokens[role], result.keys[role] = issue_token(user=user, name=f"{role} pull")
            with_role.delete()
            forget_memberships(user)  # this object read them while the role stood (accounts.permissions)
            continue
        result.tokens[role], result.keys[role] = issue_token(user=user, name=f"{role} pull", **scope)
    return result


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counts():
    # The rate limit counts live in Django's cache, which outlives a test's database rollback.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def commissioner(db):
    return MembershipFactory(role=Membership.Role.COMMISSIONER, hwb_area=HwbAreaFactory()).user


@pytest.fixture
def assurer(db):
    return MembershipFactory(role=Membership.Role.ASSURER, hwb_area=None, region=RegionFactory(code="RAS")).user


@pytest.fixture
def national_admin(db):
    return MembershipFactory(role=Membership.Role.NATIONAL_ADMIN, hwb_area=None).user


@pytest.fixture
def live_key(commissioner):
    """A commissioner's national token and its key."""
    token, key = issue_token(user=commissioner, name="Power BI")
    return token, key


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}
