"""Regressions found walking through the product in a browser."""

from django.urls import reverse


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
