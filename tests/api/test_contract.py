"""Every endpoint, called with a real bearer token of every role: each sees exactly what the pages'
rules allow (plans.permissions / monitoring.permissions, asked object by object here), narrowed by
the token's scope; another area's object is a 404; a revoked or expired token, or none, is a 401."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from api.tokens import revoke_token
from finance.models import ExpenditureLine, IncomeLine
from governance.models import Review, Submission
from metrics.models import MetricAmbition
from monitoring.models import Return
from monitoring.permissions import can_read_return
from plans.models import ConditionResponse
from plans.permissions import can_read_plan
from schemes.models import Scheme

pytestmark = pytest.mark.django_db

ROLES = [
    "commissioner",
    "signatory",
    "viewer",
    "assurer",
    "foreign_commissioner",
    "foreign_assurer",
    "national_admin",
    "national_admin_south_token",
    "nobody",
]

# URL name → (every row of that kind, the row's plan, the detail URL's kwarg).
PLAN_ROWS = {
    "api:plan": (lambda c: list(c.plans.values()), lambda row: row, "plan_id"),
    "api:income-line": (lambda c: list(IncomeLine.objects.all()), lambda row: row.plan, "income_line_id"),
    "api:expenditure-line": (
        lambda c: list(ExpenditureLine.objects.all()),
        lambda row: row.plan,
        "expenditure_line_id",
    ),
    "api:scheme": (lambda c: list(Scheme.objects.all()), lambda row: row.plan, "scheme_id"),
    "api:metric-ambition": (lambda c: list(MetricAmbition.objects.all()), lambda row: row.plan, "ambition_id"),
    "api:condition-response": (lambda c: list(ConditionResponse.objects.all()), lambda row: row.plan, "response_id"),
    "api:submission": (lambda c: list(Submission.objects.all()), lambda row: row.plan, "submission_id"),
    "api:assurance-outcome": (
        lambda c: list(Review.objects.filter(decided_at__isnull=False)),
        lambda row: row.submission.plan,
        "outcome_id",
    ),
}


def may_read(country, role, plan) -> bool:
    """The pages' rule for this user, narrowed by the token's scope."""
    token = country.tokens[role]
    in_scope = token.region_id is None or plan.hwb_area.region_id == token.region_id
    return in_scope and can_read_plan(country.users[role], plan)


def listed_ids(client, url) -> list[int]:
    ids, page = [], url
    while page:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code, response.content[:300])
        ids += [row["id"] for row in response.json()["results"]]
        page = response.json()["next"]
    return ids


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_what_the_pages_let_it_read(country, role):
    client = country.client(role)
    for name, (rows_of, plan_of, kwarg) in PLAN_ROWS.items():
        rows = rows_of(country)
        assert rows, f"the country has no {name} rows to test"
        expected = {row.pk for row in rows if may_read(country, role, plan_of(row))}
        listed = listed_ids(client, reverse(f"{name}-list"))
        assert len(listed) == len(set(listed)), f"{name}: a row listed twice"
        assert set(listed) == expected, f"{role} on {name}"
        for row in rows:
            response = client.get(reverse(f"{name}-detail", kwargs={kwarg: row.pk}))
            want = 200 if row.pk in expected else 404
            assert response.status_code == want, f"{role} GET {name} {row.pk}: {response.status_code}"

    returns = list(Return.objects.select_related("plan__hwb_area"))
    assert returns
    token = country.tokens[role]
    expected = {
        r.pk
        for r in returns
        if can_read_return(country.users[role], r)
        and (token.region_id is None or r.plan.hwb_area.region_id == token.region_id)
    }
    assert set(listed_ids(client, reverse("api:return-list"))) == expected
    for ret in returns:
        response = client.get(reverse("api:return-detail", kwargs={"return_id": ret.pk}))
        assert response.status_code == (200 if ret.pk in expected else 404)

    # Reference data is the same for everyone signed in.
    assert client.get(reverse("api:round-detail", kwargs={"round_slug": "api-2030-31"})).status_code == 200
    assert client.get(reverse("api:region-detail", kwargs={"region_code": "RS"})).status_code == 200
    assert client.get(reverse("api:area-detail", kwargs={"ons_code": "E06000003"})).status_code == 200


def test_the_roles_see_what_the_rules_say_in_plain_words(country):
    """The expectations above come from the rules; here they are spelled out once, so a rule that
    changed by accident cannot carry the test along with it."""

    def areas(role):
        response = country.client(role).get(reverse("api:plan-list"))
        return sorted(row["area"] for row in response.json()["results"])

    assert areas("commissioner") == ["E06000001"]
    assert areas("viewer") == ["E06000001"]
    assert areas("assurer") == ["E06000002"]  # its region's submitted plan, not the draft
    assert areas("foreign_commissioner") == ["E06000003"]
    assert areas("foreign_assurer") == ["E06000003"]
    assert areas("national_admin") == ["E06000001", "E06000002", "E06000003"]
    assert areas("national_admin_south_token") == ["E06000003"]  # the token's scope narrows
    assert areas("nobody") == []


def test_another_areas_objects_are_not_found_and_never_shown(country):
    client = country.client("foreign_commissioner")
    own_plan = country.plans["own_draft"]
    line = IncomeLine.objects.get(plan=own_plan)
    assert client.get(reverse("api:plan-detail", kwargs={"plan_id": own_plan.pk})).status_code == 404
    assert client.get(reverse("api:income-line-detail", kwargs={"income_line_id": line.pk})).status_code == 404
    for name in PLAN_ROWS:
        body = client.get(reverse(f"{name}-list") + "?page_size=1000").content.decode()
        assert "Ownshire" not in body and "E06000001" not in body, name


def test_no_token_a_revoked_token_and_an_expired_token_get_401(country):
    url = reverse("api:plan-list")
    response = country.client("anonymous").get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert country.client("commissioner").get(url).status_code == 200

    revoke_token(token=country.tokens["commissioner"])
    assert country.client("commissioner").get(url).status_code == 401

    type(country.tokens["viewer"]).objects.filter(pk=country.tokens["viewer"].pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert country.client("viewer").get(url).status_code == 401

    bogus = country.client("anonymous")
    bogus.credentials(HTTP_AUTHORIZATION="Bearer bcf_not-a-token")
    assert bogus.get(url).status_code == 401


def test_the_api_is_read_only(country):
    client = country.client("commissioner")
    plan = country.plans["own_draft"]
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(reverse("api:plan-list")).status_code == 405
        response = getattr(client, method)(reverse("api:plan-detail", kwargs={"plan_id": plan.pk}))
        assert response.status_code == 405
