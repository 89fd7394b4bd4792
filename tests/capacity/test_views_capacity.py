"""The capacity and demand pages: the table with totals and gaps, a block's form, conflicts and other areas."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from capacity import selectors
from capacity.models import CapacityDemandFigure
from plans.models import Plan, UnsavedDraft
from tests.capacity.conftest import KW
from tests.factories import HwbAreaFactory, MembershipFactory, PlanFactory

pytestmark = pytest.mark.django_db


def block_post(plan, block_key, values: dict, fingerprint=None):
    """The block's form as a browser posts it: every cell, blank unless given as (row index, period index)."""
    definition = selectors.definition_for_plan(plan)
    block = definition.block(block_key)
    stored = selectors.figures_for_plans([plan.pk])[plan.pk]
    data = {"fingerprint": fingerprint or selectors.block_fingerprint(block, stored)}
    for row in block.rows:
        for i, _ in enumerate(definition.periods):
            demand, capacity = values.get((row.key, i), ("", ""))
            data[f"demand__{row.key}__{i}"] = str(demand)
            data[f"capacity__{row.key}__{i}"] = str(capacity)
    return data


def test_the_page_shows_each_block_with_totals_and_highlights_a_shortfall(
    cd_plan, client, django_assert_max_num_queries
):
    plan, user = cd_plan
    CapacityDemandFigure.objects.create(plan=plan, row_key="home-reablement", period="Apr 2030", demand=50, capacity=42)
    CapacityDemandFigure.objects.create(plan=plan, row_key="bed-rehab", period="Apr 2030", demand=7, capacity=10)
    client.force_login(user)
    client.get(reverse("capacity:tables", kwargs=KW))  # reads the round's configuration into its cache
    with django_assert_max_num_queries(13):
        response = client.get(reverse("capacity:tables", kwargs=KW))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Leaving hospital" in html and "Referrals from the community" in html
    assert "Referrals expected" in html and "Places available" in html and "Discharge pathway" in html
    assert "How we estimated demand and capacity" in html  # the section's assumptions question
    # Reablement is 8 short in April; the block's April total is 57 against 52: 5 short.
    assert 'app-capacity-short">-8<' in html and 'app-capacity-short">-5<' in html
    assert ">57<" in html and ">52<" in html


def test_the_task_list_links_the_section_to_the_table_and_shows_its_status(cd_plan, client):
    plan, user = cd_plan
    client.force_login(user)
    response = client.post(
        reverse("capacity:block", kwargs={**KW, "block_key": "community"}),
        block_post(plan, "community", {("urgent-response", 0): (20, 25)}),
    )
    assert response.status_code == 302
    html = client.get(reverse("plans:plan_overview", kwargs=KW)).content.decode()
    assert reverse("capacity:tables", kwargs=KW) in html
    section_row = html[html.index("Capacity and demand") :][:600]
    assert "In progress" in section_row


def test_saving_a_block_stores_the_figures_and_discards_the_draft(cd_plan, client):
    plan, user = cd_plan
    UnsavedDraft.objects.create(user=user, plan=plan, form_key="capacity:discharge", data={"demand__bed-rehab__0": "9"})
    client.force_login(user)
    response = client.post(
        reverse("capacity:block", kwargs={**KW, "block_key": "discharge"}),
        block_post(plan, "discharge", {("home-reablement", 0): (50, 45), ("bed-rehab", 2): (8, "")}),
    )
    assert response.status_code == 302
    stored = selectors.figures_for_plans([plan.pk])[plan.pk]
    assert stored == {("home-reablement", "Apr 2030"): (50, 45), ("bed-rehab", "Jun 2030"): (8, None)}
    assert not UnsavedDraft.objects.filter(plan=plan).exists()
    plan.refresh_from_db()


def test_a_figure_that_is_not_a_whole_number_is_refused_with_its_cell_named(cd_plan, client):
    plan, user = cd_plan
    client.force_login(user)
    response = client.post(
        reverse("capacity:block", kwargs={**KW, "block_key": "discharge"}),
        block_post(plan, "discharge", {("bed-rehab", 1): ("12.5", "-3")}),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        "Enter Referrals expected for Rehabilitation in a bed, May 2030 as a whole number from 0 to 1,000,000" in html
    )
    assert "Enter Places available for Rehabilitation in a bed, May 2030 as a whole number" in html
    assert 'href="#id_demand__bed-rehab__1"' in html
    assert not CapacityDemandFigure.objects.exists()


def test_a_stale_save_is_refused_with_409_keeping_what_the_user_typed(cd_plan, client):
    plan, user = cd_plan
    shown = block_post(plan, "community", {("urgent-response", 0): (30, 31)})
    CapacityDemandFigure.objects.create(plan=plan, row_key="urgent-response", period="Apr 2030", demand=99, capacity=1)
    client.force_login(user)

    response = client.post(reverse("capacity:block", kwargs={**KW, "block_key": "community"}), shown)

    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this table after you opened it" in html
    assert 'value="30"' in html and "What is saved now" in html and ">99<" in html
    assert CapacityDemandFigure.objects.get().demand == 99
    # Saving again from the conflict page keeps the user's figures.
    again = block_post(plan, "community", {("urgent-response", 0): (30, 31)})
    assert client.post(reverse("capacity:block", kwargs={**KW, "block_key": "community"}), again).status_code == 302
    assert CapacityDemandFigure.objects.get().demand == 30


def test_another_areas_commissioner_cannot_read_or_change_the_figures(cd_plan, client):
    plan, _ = cd_plan
    CapacityDemandFigure.objects.create(plan=plan, row_key="urgent-response", period="Apr 2030", demand=77, capacity=1)
    other = HwbAreaFactory(ons_code="E06999905", name="Elsewhere")
    PlanFactory(round=plan.round, hwb_area=other)
    outsider = MembershipFactory(hwb_area=other, role=Membership.Role.COMMISSIONER).user
    client.force_login(outsider)

    assert client.get(reverse("capacity:tables", kwargs=KW)).status_code == 404
    url = reverse("capacity:block", kwargs={**KW, "block_key": "community"})
    assert client.get(url).status_code == 404
    assert client.post(url, block_post(plan, "community", {("urgent-response", 0): (1, 1)})).status_code == 404
    assert CapacityDemandFigure.objects.get().demand == 77


def test_a_viewer_reads_the_table_but_cannot_open_the_form(cd_plan, client):
    plan, _ = cd_plan
    viewer = MembershipFactory(hwb_area=plan.hwb_area, role=Membership.Role.VIEWER).user
    client.force_login(viewer)
    html = client.get(reverse("capacity:tables", kwargs=KW)).content.decode()
    assert "Change the figures" not in html
    assert client.get(reverse("capacity:block", kwargs={**KW, "block_key": "community"})).status_code == 403


def test_a_round_without_a_table_has_no_capacity_page(shipped_rounds, client):
    plan = PlanFactory(round_id=Plan._meta.get_field("round").related_model.objects.get(slug="2014-15").pk)
    user = MembershipFactory(hwb_area=plan.hwb_area, role=Membership.Role.COMMISSIONER).user
    client.force_login(user)
    kwargs = {"round_slug": "2014-15", "ons_code": plan.hwb_area.ons_code}
    assert client.get(reverse("capacity:tables", kwargs=kwargs)).status_code == 404


def test_an_unknown_block_is_not_found(cd_plan, client):
    plan, user = cd_plan
    client.force_login(user)
    assert client.get(reverse("capacity:block", kwargs={**KW, "block_key": "nowhere"})).status_code == 404


def test_the_assumptions_page_cannot_complete_the_section_while_figures_are_missing(cd_plan, client):
    plan, user = cd_plan
    client.force_login(user)
    url = reverse("plans:section", kwargs={**KW, "section_key": "care-flow"})
    form = client.get(url).content.decode()
    assert "How we estimated demand and capacity" in form
    assert 'name="q_cd-assumptions"' in form

    response = client.post(url, {"q_cd-assumptions": "Last year's referrals, plus 3%.", "action": "complete"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter demand and capacity for ‘Reablement at home’ (Leaving hospital): 3 periods, from Apr 2030" in html
    assert "(2 more on its table&#x27;s page)" in html
