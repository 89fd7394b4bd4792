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
