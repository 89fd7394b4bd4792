"""The pages of a plan with phases: a national admin starts the planning update; the update's task list and history."""

import pytest
from django.urls import reverse

from governance import services
from plans.models import Plan
from tests.governance.conftest import sign_all, submit_signed
from tests.governance.phased_plans import approve, approve_with_update_phase, fill_update

S = Plan.Status


@pytest.fixture
def approved(cast):
    return approve_with_update_phase(cast)


def url(view, plan, **kwargs):
    return reverse(view, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, **kwargs})


def start_url(plan):
    return url("governance:transition", plan, name="start_next_phase")


def test_a_national_admin_starts_the_planning_update_from_the_plans_page(client, approved):
    cast, update, _ = approved
    client.force_login(cast.national_admin)
    page = client.get(url("governance:plan_status", cast.plan)).content.decode()
    assert "Start the 2024/25 planning update" in page
    assert 'id="plan-phase">Plan<' in page

    response = client.post(start_url(cast.plan))

    assert response.status_code == 302 and response.url == url("governance:plan_status", cast.plan)
    cast.plan.refresh_from_db()
    assert (cast.plan.status, cast.plan.phase, cast.plan.version) == (S.DRAFT, update, 2)
    page = client.get(response.url).content.decode()
    assert 'id="plan-phase">2024/25 planning update<' in page
    assert "2024/25 planning update started" in page  # the history
    assert "Start the 2024/25 planning update" not in page


@pytest.mark.parametrize("who", ["commissioner", "assurer", "viewer"])
def test_no_one_but_a_national_admin_starts_the_update(client, approved, who):
    cast, _, _ = approved
    client.force_login(getattr(cast, who))
    assert (
        "Start the 2024/25 planning update" not in client.get(url("governance:plan_status", cast.plan)).content.decode()
    )

    assert client.post(start_url(cast.plan)).status_code == 403

    cast.plan.refresh_from_db()
    assert (cast.plan.status, cast.plan.phase) == (S.APPROVED, None)


@pytest.mark.parametrize("who", ["foreign_commissioner", "foreign_assurer"])
def test_another_areas_people_get_404_when_starting_the_update(client, approved, who):
    cast, _, _ = approved
    client.force_login(getattr(cast, who))
    assert client.post(start_url(cast.plan)).status_code == 404
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.APPROVED


def test_no_button_when_the_round_has_no_later_phase(client, submitted):
    cast, _ = submitted
    approve(cast)
    client.force_login(cast.national_admin)
    page = client.get(url("governance:plan_status", cast.plan)).content.decode()
    assert "start_next_phase" not in page and 'id="plan-phase"' not in page


def test_the_updates_task_list_shows_its_own_sections_and_the_plans_others_are_not_editable(client, approved):
    cast, _, _ = approved
    services.start_next_phase(user=cast.national_admin, plan=cast.plan)
    client.force_login(cast.commissioner)

    page = client.get(url("plans:plan_overview", cast.plan)).content.decode()

    assert "2024/25 planning update" in page and 'id="phase-note"' in page
    assert "What has changed" in page and "Expenditure" in page
    assert "Vision for health and care services" not in page
    assert "0 of 2 sections completed" in page
    assert client.get(url("plans:section", cast.plan, section_key="vision")).status_code == 404
    assert client.get(url("plans:section", cast.plan, section_key="update")).status_code == 200


def test_the_plans_history_shows_both_submissions_by_phase_with_their_files(client, approved):
    cast, _, _ = approved
    services.start_next_phase(user=cast.national_admin, plan=cast.plan)
    fill_update(cast)
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast)
    submit_signed(cast)
    client.force_login(cast.assurer)

    page = client.get(url("governance:plan_status", cast.plan)).content.decode()

    submissions = page[page.index('id="submissions"') : page.index("</table>", page.index('id="submissions"'))]
    assert submissions.index("2024/25 planning update") < submissions.index(">Plan<")
    for version in (1, 2):
        response = client.get(url("governance:download", cast.plan, version=version, kind="pdf"))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # The plan and its update compare like any two versions.
    compared = client.get(url("governance:versions", cast.plan))
    assert compared.status_code == 200 and "What has changed" in compared.content.decode()


def test_your_plans_counts_the_updates_sections(client, approved):
    cast, _, _ = approved
    services.start_next_phase(user=cast.national_admin, plan=cast.plan)
    client.force_login(cast.commissioner)
    assert "0 of 2" in client.get(reverse("plans:your_plans")).content.decode()
    fill_update(cast)
    assert "2 of 2" in client.get(reverse("plans:your_plans")).content.decode()
