"""Wrong entries a national administrator could make in the admin, each refused with a plain-English message.

Also: organisations are offered only in the rounds they are valid for, job title is set when adding a
user, and the portal header links national administrators who are staff to the admin.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Membership, User
from finance.forms import IncomeLineForm
from plans.models import Plan
from rounds import config
from rounds.models import Allocation, Organisation, PlanningRound
from tests.factories import HwbAreaFactory, MembershipFactory, PlanFactory, PlanningRoundFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, shipped_rounds):
    staff = UserFactory(is_staff=True, is_superuser=True, email="national@example.org")
    MembershipFactory(user=staff, role=Membership.Role.NATIONAL_ADMIN, hwb_area=None)
    client.force_login(staff)
    return client


def _page(response) -> str:
    return response.content.decode()


def test_a_signatory_slot_typed_as_hwb_chair_is_refused_in_the_admin(admin_client):
    area = HwbAreaFactory(ons_code="E06999961", name="Testarea 1")
    person = UserFactory()
    response = admin_client.post(
        "/admin/accounts/membership/add/",
        {"user": person.pk, "role": "signatory", "hwb_area": area.pk, "signoff_slot_code": "HWB chair"},
    )
    assert response.status_code == 200
    assert "‘HWB chair’ is not a sign-off slot. Choose one from the list" in _page(response)
    assert not Membership.objects.filter(user=person).exists()
    # Outside the admin too, the model refuses it and names the codes to use.
    with pytest.raises(ValidationError) as refused:
        Membership(user=person, role="signatory", hwb_area=area, signoff_slot_code="HWB chair").full_clean()
    assert "hwb_chair" in refused.value.message_dict["signoff_slot_code"][0]
    # The right code is accepted.
    admin_client.post(
        "/admin/accounts/membership/add/",
        {"user": person.pk, "role": "signatory", "hwb_area": area.pk, "signoff_slot_code": "hwb_chair"},
    )
    assert Membership.objects.filter(user=person, signoff_slot_code="hwb_chair").exists()


def test_a_signatory_without_a_slot_gets_a_form_error_not_a_constraint_message(admin_client):
    area = HwbAreaFactory(ons_code="E06999962", name="Testarea 2")
    person = UserFactory()
    response = admin_client.post(
        "/admin/accounts/membership/add/",
        {"user": person.pk, "role": "signatory", "hwb_area": area.pk, "signoff_slot_code": ""},
    )
    page = _page(response)
    assert response.status_code == 200
    assert "Choose the sign-off slot this signatory signs for" in page
    assert "Constraint" not in page and "membership_scope_matches_role" not in page
    assert not Membership.objects.filter(user=person).exists()


def _allocation_post(rnd, area, **values):
    year = rnd.years.order_by("order").first()
    return {"round": rnd.pk, "hwb_area": area.pk, "year": year.pk, "key": "minimum_pool", "amount": "1000", **values}


def test_an_allocation_key_with_the_wrong_separator_is_refused(admin_client):
    rnd = PlanningRound.objects.get(slug="2014-15")
    area = HwbAreaFactory(ons_code="E06999963", name="Testarea 3")
    response = admin_client.post("/admin/rounds/allocation/add/", _allocation_post(rnd, area, key="minimum-pool"))
    assert response.status_code == 200
    assert "‘minimum-pool’ is not an allocation key of any round. Choose one from the list" in _page(response)
    assert not Allocation.objects.filter(hwb_area=area).exists()


def test_an_allocation_for_a_year_of_another_round_is_refused(admin_client):
    rnd = PlanningRound.objects.get(slug="2014-15")
    other_year = PlanningRound.objects.get(slug="2017-19").years.order_by("order").first()
    area = HwbAreaFactory(ons_code="E06999964", name="Testarea 4")
    allocation = Allocation(round=rnd, hwb_area=area, year=other_year, key="minimum_pool", amount=1000)
    with pytest.raises(ValidationError) as refused:
        allocation.full_clean()
    message = refused.value.message_dict["year"][0]
    assert f"{other_year} is a year of" in message and "2014/15" in message
    # In the admin the year list holds the round's own years only once the round is known (change form),
    # and a forged year of another round is refused either way.
    response = admin_client.post("/admin/rounds/allocation/add/", _allocation_post(rnd, area, year=other_year.pk))
    assert response.status_code == 200
    assert f"‘{other_year}’ belongs to {other_year.round}, not to {rnd}" in _page(response)
    assert not Allocation.objects.filter(hwb_area=area).exists()


def test_a_key_of_another_round_is_refused_for_this_round(admin_client):
    rnd = PlanningRound.objects.get(slug="2014-15")
    area = HwbAreaFactory(ons_code="E06999965", name="Testarea 5")
    response = admin_client.post("/admin/rounds/allocation/add/", _allocation_post(rnd, area, key="ibcf"))
    assert "‘ibcf’ is not an allocation of" in _page(response)  # a 2017-19 stream
    assert not Allocation.objects.filter(hwb_area=area).exists()


def test_an_income_line_year_of_another_round_is_refused_in_the_admin(admin_client):
    rnd = PlanningRound.objects.get(slug="2014-15")
    plan = PlanFactory(round=rnd, hwb_area=HwbAreaFactory(ons_code="E06999966", name="Testarea 6"))
    org = Organisation.objects.create(name="Somewhere Council", kind="local_authority")
    stream = rnd.funding_streams.order_by("order").first()
    other_year = PlanningRound.objects.get(slug="2017-19").years.order_by("order").first()
    response = admin_client.post(
        "/admin/finance/incomeline/add/",
        {"plan": plan.pk, "funding_stream": stream.pk, "organisation": org.pk, "year": other_year.pk,
         "amount": "1000", "version": "1"},
    )  # fmt: skip
    assert response.status_code == 200
    assert f"‘{other_year}’ belongs to {other_year.round}, not to {rnd}" in _page(response)
    assert not plan.income_lines.exists()


def test_a_plan_cannot_be_created_approved_or_moved_in_the_admin(admin_client):
    rnd = PlanningRound.objects.get(slug="2014-15")
    area = HwbAreaFactory(ons_code="E06999967", name="Testarea 7")
    response = admin_client.post(
        "/admin/plans/plan/add/", {"round": rnd.pk, "hwb_area": area.pk, "status": "approved", "version": "7"}
    )
    assert response.status_code == 302
    plan = Plan.objects.get(round=rnd, hwb_area=area)
    assert (plan.status, plan.version) == (Plan.Status.DRAFT, 1)
    admin_client.post(
        f"/admin/plans/plan/{plan.pk}/change/",
        {"round": rnd.pk, "hwb_area": area.pk, "status": "approved", "version": "7"},
    )
    plan.refresh_from_db()
    assert (plan.status, plan.version) == (Plan.Status.DRAFT, 1)
    page = _page(admin_client.get(f"/admin/plans/plan/{plan.pk}/change/"))
    assert 'name="status"' not in page


def test_workflow_records_are_read_only_in_the_admin(admin_client):
    for model in ("signoff", "submission", "planevent", "review", "sectioncomment"):
        assert admin_client.get(f"/admin/governance/{model}/add/").status_code == 403, model


def test_job_title_is_set_when_adding_a_user_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "new.person@example.org",
            "full_name": "New Person",
            "job_title": "Director of Adult Social Services",
            "password1": "a-long-enough-passphrase-1",
            "password2": "a-long-enough-passphrase-1",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, _page(response)[:3000]
    assert User.objects.get(email="new.person@example.org").job_title == "Director of Adult Social Services"


def test_the_header_links_staff_national_admins_to_the_admin(client, admin_client, shipped_rounds):
    page = _page(admin_client.get("/plans/"))
    assert 'href="/admin/"' in page
    commissioner = MembershipFactory(role=Membership.Role.COMMISSIONER).user
    client.force_login(commissioner)
    assert 'href="/admin/"' not in _page(client.get("/plans/"))


def test_a_round_offers_only_the_organisations_valid_in_it(shipped_rounds):
    early = PlanningRound.objects.get(slug="2014-15")
    late = PlanningRoundFactory(
        slug="2023-25", name="BCF 2023-25", final_deadline=timezone.now() + datetime.timedelta(days=60)
    )
    area = HwbAreaFactory(ons_code="E06999968", name="Testarea 8")
    ccg = Organisation.objects.create(name="NHS Oldtown CCG", kind="ccg", last_round=early)
    icb = Organisation.objects.create(name="NHS Newtown ICB", kind="icb", first_round=late)
    council = Organisation.objects.create(name="Anytown Council", kind="local_authority")
    for org in (ccg, icb, council):
        org.hwb_areas.add(area)

    def offered(rnd):
        plan = PlanFactory(round=rnd, hwb_area=area)
        rnd.refresh_from_db()
        in_config = {o.name for o in config.round_config(rnd.pk).organisations.get(area.pk, [])}
        in_form = {o.name for o in IncomeLineForm(plan=plan).fields["organisation"].queryset}
        assert in_config == in_form
        return in_form

    assert offered(early) == {"NHS Oldtown CCG", "Anytown Council"}
    assert offered(late) == {"NHS Newtown ICB", "Anytown Council"}
    assert ccg.is_valid_in(early) and not ccg.is_valid_in(late)
    assert icb.is_valid_in(late) and not icb.is_valid_in(early)
    with pytest.raises(ValidationError):
        Organisation(name="Backwards", kind="ccg", first_round=late, last_round=early).full_clean()


def test_the_admin_pages_with_round_lists_open(admin_client):
    from rounds.models import RingFence

    allocation = Allocation.objects.filter(round__slug="2014-15").first()
    fence = RingFence.objects.first()
    pages = [
        "/admin/rounds/allocation/add/",
        f"/admin/rounds/allocation/{allocation.pk}/change/",
        "/admin/rounds/ringfence/add/",
        f"/admin/rounds/ringfence/{fence.pk}/change/",
        "/admin/finance/incomeline/add/",
        "/admin/finance/expenditureline/add/",
        "/admin/accounts/membership/add/",
        "/admin/accounts/user/add/",
        "/admin/plans/plan/add/",
    ]
    for url in pages:
        assert admin_client.get(url).status_code == 200, url
    change = _page(admin_client.get(f"/admin/rounds/allocation/{allocation.pk}/change/"))
    assert "2014/15 (2014-15)" in change and "2017/18 (2017-19)" not in change  # only the round's own years
