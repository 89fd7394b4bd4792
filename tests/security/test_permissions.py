"""The object-permission rules (plans.permissions) and the querysets agree, role by role, state by state."""

import itertools

import pytest

from accounts.models import Membership, SecurityEvent
from plans import permissions, selectors
from plans.models import Plan
from tests.factories import HwbAreaFactory, MembershipFactory, PlanFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db
R = Membership.Role


@pytest.fixture
def people():
    north, south = RegionFactory(code="RN"), RegionFactory(code="RS")
    own = HwbAreaFactory(region=north)
    neighbour = HwbAreaFactory(region=north)  # same region, other area
    far = HwbAreaFactory(region=south)
    plans = {s: PlanFactory(hwb_area=own, status=s, round__slug=f"r{i}") for i, s in enumerate(Plan.Status.values)}
    plans["neighbour"] = PlanFactory(hwb_area=neighbour, status=Plan.Status.SUBMITTED)
    plans["far"] = PlanFactory(hwb_area=far, status=Plan.Status.SUBMITTED)
    users = {
        "commissioner": MembershipFactory(hwb_area=own, role=R.COMMISSIONER).user,
        "signatory": MembershipFactory(hwb_area=own, role=R.SIGNATORY, signoff_slot_code="ccg").user,
        "viewer": MembershipFactory(hwb_area=own, role=R.VIEWER).user,
        "assurer": MembershipFactory(hwb_area=None, region=north, role=R.ASSURER).user,
        "national_admin": MembershipFactory(hwb_area=None, role=R.NATIONAL_ADMIN).user,
        "superuser": UserFactory(is_superuser=True, is_staff=True),
        "no_roles": UserFactory(),
    }
    return plans, users


def test_the_read_rule_and_the_plans_queryset_agree_for_every_role_and_state(people, django_assert_max_num_queries):
    plans, users = people
    for (role, user), (label, plan) in itertools.product(users.items(), plans.items()):
        by_rule = permissions.can_read_plan(user, plan)
        by_query = selectors.plans_for_user(user).filter(pk=plan.pk).exists()
        assert by_rule == by_query, f"{role} / {label}: rule says {by_rule}, queryset says {by_query}"


def test_who_reads_what(people):
    plans, users = people
    readable = {role: set() for role in users}
    for (role, user), (label, plan) in itertools.product(users.items(), plans.items()):
        if permissions.can_read_plan(user, plan):
            readable[role].add(label)
    own = set(Plan.Status.values)
    submitted_on = {"submitted", "in_assurance", "approved", "approved_with_conditions", "not_approved"}
    assert readable["commissioner"] == own
    assert readable["signatory"] == own
    assert readable["viewer"] == own
    assert readable["assurer"] == submitted_on | {"neighbour"}  # never drafts, never another region
    assert readable["national_admin"] == set(plans)
    assert readable["superuser"] == set(plans)
    assert readable["no_roles"] == set()


def test_only_the_areas_commissioners_edit_and_only_before_submission(people):
    plans, users = people
    for (role, user), (label, plan) in itertools.product(users.items(), plans.items()):
        expected = role == "commissioner" and label in ("draft", "ready_for_signoff", "signed_off")
        assert selectors.can_edit_plan(user, plan) == expected, f"{role} editing {label}"


def test_a_superuser_is_not_an_editor_even_though_django_has_perm_would_say_yes(people):
    plans, users = people
    assert users["superuser"].has_perm("plans.change_plan", plans["draft"])  # Django's superuser shortcut
    assert not permissions.can_edit_plan(users["superuser"], plans["draft"])


def test_signatories_sign_only_the_slot_they_hold(people):
    plans, users = people
    plan = plans["ready_for_signoff"]
    assert permissions.can_sign_slot(users["signatory"], plan, "ccg")
    assert not permissions.can_sign_slot(users["signatory"], plan, "council")
    assert not permissions.can_sign_slot(users["commissioner"], plan, "ccg")
    assert not permissions.can_sign_slot(users["signatory"], plans["neighbour"], "ccg")


def test_assurers_review_only_submitted_plans_of_their_region(people):
    plans, users = people
    assert permissions.can_review_plan(users["assurer"], plans["submitted"])
    assert permissions.can_review_plan(users["assurer"], plans["neighbour"])
    assert not permissions.can_review_plan(users["assurer"], plans["draft"])
    assert not permissions.can_review_plan(users["assurer"], plans["far"])
    assert not permissions.can_review_plan(users["national_admin"], plans["submitted"])


def test_an_unknown_permission_is_denied(people):
    _, users = people
    assert not permissions.allowed(users["national_admin"], "plans.delete_everything")


def test_an_inactive_user_gets_nothing(people):
    plans, users = people
    user = users["commissioner"]
    user.is_active = False
    user.save()
    assert not selectors.plans_for_user(user).exists()
    assert not permissions.can_edit_plan(user, plans["draft"])


# --- The audit log page ---------------------------------------------------------------------


def test_a_refused_request_is_recorded_as_permission_denied(client, people):
    plans, users = people
    client.force_login(users["commissioner"])
    assert client.get("/audit/").status_code == 403
    event = SecurityEvent.objects.get(action=SecurityEvent.Action.PERMISSION_DENIED)
    assert event.user == users["commissioner"] and event.path == "/audit/"
    assert "national administrators" in event.detail["reason"]


def test_only_national_admins_read_the_audit_log(client, people):
    _, users = people
    for role in ("commissioner", "signatory", "viewer", "assurer", "no_roles"):
        client.force_login(users[role])
        assert client.get("/audit/").status_code == 403, role
    client.logout()
    assert client.get("/audit/").status_code == 302
    client.force_login(users["national_admin"])
    assert client.get("/audit/").status_code == 200


def test_the_audit_log_filters_by_action_user_area_and_date(client, people, django_assert_max_num_queries):
    plans, users = people
    plan = plans["draft"]
    SecurityEvent.objects.create(action="sign_in_failed", username="mallory@example.org", ip_address="10.1.1.1")
    SecurityEvent.objects.create(action="export_downloaded", user=users["viewer"], username=users["viewer"].email,
                                 plan_id=plan.pk, hwb_area=plan.hwb_area)  # fmt: skip
    client.force_login(users["national_admin"])

    body = client.get("/audit/", {"action": "sign_in_failed"}).content.decode()
    assert "mallory@example.org" in body and users["viewer"].email not in body

    body = client.get("/audit/", {"user": "MALLORY"}).content.decode()
    assert "mallory@example.org" in body

    body = client.get("/audit/", {"area": plan.hwb_area.ons_code}).content.decode()
    assert users["viewer"].email in body and "mallory@example.org" not in body

    body = client.get("/audit/", {"date_from": "2001-01-01", "date_to": "2001-01-02"}).content.decode()
    assert "No events match these filters." in body

    response = client.get("/audit/", {"date_from": "2030-01-02", "date_to": "2030-01-01"})
    assert "Enter a &#x27;to&#x27; date on or after the &#x27;from&#x27; date" in response.content.decode()

    with django_assert_max_num_queries(8):
        client.get("/audit/")


def test_asking_for_another_areas_plan_is_a_404_and_is_recorded(client, people):
    plans, users = people
    other = plans["far"]
    client.force_login(users["commissioner"])
    url = f"/plans/{other.round.slug}/{other.hwb_area.ons_code}/"
    assert client.get(url).status_code == 404
    event = SecurityEvent.objects.get(action=SecurityEvent.Action.PERMISSION_DENIED)
    assert event.user == users["commissioner"] and event.hwb_area == other.hwb_area and event.path == url
    assert event.plan_id == other.pk
    # A plan that does not exist at all is just a 404: nothing to record.
    assert client.get("/plans/no-round/E00000000/").status_code == 404
    assert SecurityEvent.objects.filter(action=SecurityEvent.Action.PERMISSION_DENIED).count() == 1


def test_an_assurer_with_any_role_in_an_area_does_not_review_its_plans_but_reviews_the_rest_of_the_region(people):
    from governance import workflow

    plans, _ = people
    own, neighbour = plans["submitted"], plans["neighbour"]
    for role in (R.COMMISSIONER, R.SIGNATORY, R.VIEWER):
        user = MembershipFactory(hwb_area=own.hwb_area, role=role, signoff_slot_code="ccg").user
        MembershipFactory(user=user, role=R.ASSURER, region=own.hwb_area.region, hwb_area=None)
        assert not permissions.can_review_plan(user, own), role
        assert workflow.ASSURER not in workflow.roles_for(user, own), role
        assert permissions.can_review_plan(user, neighbour), role
        assert workflow.ASSURER in workflow.roles_for(user, neighbour), role
        assert permissions.can_read_plan(user, own)  # still reads it, through their area role
