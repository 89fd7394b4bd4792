"""Regressions found walking through the product in a browser."""

from django.urls import reverse

from rounds.models import Section
from tests.factories import SectionFactory


def url(view, plan, **kwargs):
    return reverse(
        f"governance:{view}", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, **kwargs}
    )


def test_plan_history_names_each_step_and_the_statuses_it_moved_between(client, cast):
    client.force_login(cast.commissioner)
    client.post(url("transition", cast.plan, name="send_for_signoff"))
    page = client.get(url("plan_status", cast.plan)).content.decode()
    assert "Send for sign-off (Draft to Ready for sign-off)" in page
    assert "( to )" not in page


def test_a_signatory_is_told_on_the_task_list_and_status_page_that_the_plan_waits_for_their_signature(client, cast):
    client.force_login(cast.commissioner)
    client.post(url("transition", cast.plan, name="send_for_signoff"))
    overview = reverse(
        "plans:plan_overview", kwargs={"round_slug": cast.plan.round.slug, "ons_code": cast.plan.hwb_area.ons_code}
    )
    assert "waiting for your signature" not in client.get(overview).content.decode()

    client.force_login(cast.signatories["hwb"])
    sign_hwb = url("sign", cast.plan, slot_code="hwb")
    task_list = client.get(overview).content.decode()
    assert "This plan is waiting for your signature." in task_list
    assert sign_hwb in task_list
    assert url("sign", cast.plan, slot_code="council") not in task_list
    status_page = client.get(url("plan_status", cast.plan)).content.decode()
    assert "Read and sign the plan" in status_page


def test_a_draft_plan_does_not_ask_a_signatory_to_sign(client, cast):
    client.force_login(cast.signatories["hwb"])
    overview = reverse(
        "plans:plan_overview", kwargs={"round_slug": cast.plan.round.slug, "ons_code": cast.plan.hwb_area.ons_code}
    )
    assert "waiting for your signature" not in client.get(overview).content.decode()


def test_an_assurer_is_pointed_from_your_plans_to_the_plans_to_assure(client, cast):
    client.force_login(cast.foreign_assurer)
    page = client.get(reverse("plans:your_plans")).content.decode()
    assert reverse("governance:assurance_dashboard") in page
    assert "No plans in your region have been submitted yet." in page
    assert "Ask your national administrator" not in page


def test_a_commissioner_is_not_pointed_to_the_assurance_dashboard(client, cast):
    client.force_login(cast.commissioner)
    page = client.get(reverse("plans:your_plans")).content.decode()
    assert reverse("governance:assurance_dashboard") not in page


def test_the_review_page_links_to_the_plan_itself_and_wraps_the_pdf_hash(client, submitted):
    cast, submission = submitted
    client.force_login(cast.assurer)
    page = client.get(url("review", cast.plan)).content.decode()
    overview = reverse(
        "plans:plan_overview", kwargs={"round_slug": cast.plan.round.slug, "ons_code": cast.plan.hwb_area.ons_code}
    )
    assert f'href="{overview}"' in page
    assert f'<code class="app-hash">{submission.pdf_sha256}</code>' in page


def _overview(plan):
    return reverse("plans:plan_overview", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code})


def test_the_task_list_says_where_the_plan_is_in_sign_off_and_assurance(client, submitted):
    cast, _ = submitted
    client.force_login(cast.commissioner)
    page = client.get(_overview(cast.plan)).content.decode()
    assert "has been submitted to NHS England and is being assured" in page
    assert "send the plan for sign-off" not in page


def test_a_draft_task_list_still_explains_the_first_step(client, cast):
    client.force_login(cast.commissioner)
    page = client.get(_overview(cast.plan)).content.decode()
    assert "When every section is completed, send the plan for sign-off." in page


def test_the_part_2_links_include_schemes_and_mark_the_page_you_are_on(client, cast):
    # Both shipped rounds have a schemes table; the workflow fixture's round does not.
    SectionFactory(round=cast.plan.round, key="schemes", heading="Schemes", table=Section.Table.SCHEMES)
    client.force_login(cast.commissioner)
    kwargs = {"round_slug": cast.plan.round.slug, "ons_code": cast.plan.hwb_area.ons_code}
    schemes = reverse("schemes:list", kwargs=kwargs)
    income_page = client.get(reverse("finance:income", kwargs=kwargs)).content.decode()
    assert f'href="{schemes}"' in income_page
    schemes_page = client.get(schemes).content.decode()
    assert f'href="{schemes}" aria-current="page"' in schemes_page
