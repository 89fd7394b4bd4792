"""The return's pages: who may see and change them, what they show, and how saving a part behaves."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Membership
from monitoring import services
from monitoring.models import Return, ReturnPartProgress
from plans.models import UnsavedDraft
from tests import factories as f
from tests.monitoring.conftest import part

pytestmark = pytest.mark.django_db


def kw(ret, **extra):
    return {"round_slug": ret.plan.round.slug, "ons_code": ret.plan.hwb_area.ons_code, **extra}


def urls(ret):
    k = kw(ret, period_key=ret.period.key)
    return [
        reverse("monitoring:returns", kwargs=kw(ret)),
        reverse("monitoring:task_list", kwargs=k),
        *(
            reverse("monitoring:part", kwargs={**k, "part_key": key})
            for key in ("budget", "conditions", "finance", "metrics", "narrative")
        ),
        reverse("monitoring:history", kwargs=k),
    ]


def test_every_page_renders_for_the_commissioner_within_a_query_bound(
    client, approved_plan, q1_return, django_assert_max_num_queries
):
    client.force_login(approved_plan.commissioner)
    for url in urls(q1_return):
        with django_assert_max_num_queries(40):
            response = client.get(url)
        assert response.status_code == 200, url


def test_a_commissioner_of_another_area_gets_404_everywhere(client, approved_plan, q1_return):
    client.force_login(approved_plan.foreign_commissioner)
    for url in urls(q1_return):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"period": q1_return.period.key}).status_code == 404, url


def test_a_viewer_can_read_but_not_post(client, approved_plan, q1_return):
    client.force_login(approved_plan.viewer)
    for url in urls(q1_return):
        assert client.get(url).status_code == 200, url
    finance = reverse("monitoring:part", kwargs=kw(q1_return, period_key=q1_return.period.key, part_key="finance"))
    assert client.post(finance, {"action": "later"}).status_code == 403
    assert client.post(urls(q1_return)[0], {"period": "q2-2017-18"}).status_code == 403
    assert Return.objects.filter(plan=q1_return.plan).count() == 1


def test_an_assurer_cannot_see_a_draft_return(client, approved_plan, q1_return):
    client.force_login(approved_plan.assurer)
    for url in urls(q1_return)[1:]:
        assert client.get(url).status_code == 404, url


def test_returns_page_lists_periods_flags_late_and_starts_a_return(client, approved_plan, q1_return):
    client.force_login(approved_plan.commissioner)
    url = reverse("monitoring:returns", kwargs=kw(q1_return))
    page = client.get(url).content.decode()
    assert "Quarter 1 2017/18" in page and "Quarter 2 2017/18" in page
    assert page.count("data-late") == 1  # Q2's deadline has passed and it is not submitted
    response = client.post(url, {"period": "q2-2017-18"})
    q2 = Return.objects.get(plan=q1_return.plan, period__key="q2-2017-18")
    assert response.url == reverse("monitoring:task_list", kwargs=kw(q2, period_key="q2-2017-18"))
    assert q2.lines.count() == q1_return.lines.count()


def test_plan_task_list_links_to_the_returns_once_approved(client, approved_plan, django_assert_max_num_queries):
    client.force_login(approved_plan.commissioner)
    page = client.get(reverse("plans:plan_overview", kwargs=kw(Return(plan=approved_plan.plan)))).content.decode()
    assert reverse("monitoring:returns", kwargs=kw(Return(plan=approved_plan.plan))) in page


def _finance_post(ret, *, under=None, explanation="", action="later", completed=""):
    data = {"action": action, "completed": completed}
    for line in ret.lines.all():
        p = f"line-{line.pk}"
        actual = line.planned * Decimal("0.75") if line == under else line.planned
        data.update(
            {
                f"{p}-actual": f"£{actual:,.2f}",
                f"{p}-forecast": f"{line.planned_year:,.2f}",
                f"{p}-explanation": explanation if line == under else "",
                f"{p}-version": str(line.version),
            }
        )
    return data


def test_finance_saves_money_as_typed_and_shows_the_variance_and_the_explanation_it_needs(
    client, approved_plan, q1_return
):
    client.force_login(approved_plan.commissioner)
    url = reverse("monitoring:part", kwargs=kw(q1_return, period_key=q1_return.period.key, part_key="finance"))
    under = q1_return.lines.filter(kind="expenditure").first()
    response = client.post(url, _finance_post(q1_return, under=under, completed="yes"))
    assert response.status_code == 400
    body = response.content.decode()
    assert f'href="#line-{under.pk}-explanation"' in body  # the error summary links to the field
    assert "-25.0%" in body and "data-variance-flag" in body
    under.refresh_from_db()
    assert under.actual == (under.planned * Decimal("0.75")).quantize(Decimal("0.01"))  # saved all the same
    assert not ReturnPartProgress.objects.filter(ret=q1_return, completed=True).exists()

    q1_return.refresh_from_db()
    response = client.post(url, _finance_post(q1_return, under=under, explanation="Started late.", completed="yes"))
    assert response.status_code == 302
    assert ReturnPartProgress.objects.get(ret=q1_return, part=part(q1_return, "finance")).completed


def _posted_back(body: str, data: dict) -> dict:
    """The form as the re-rendered page would post it again: its hidden version fields as the page holds them."""
    again = dict(data)
    for name in [n for n in data if n.endswith("-version")]:
        found = re.search(rf'name="{re.escape(name)}" value="(\d*)"', body)
        assert found, name
        again[name] = found.group(1)
    return again


def test_after_completion_is_refused_the_page_saves_again_without_a_conflict_with_itself(
    client, approved_plan, q1_return
):
    """The refused completion still saved the values: the page carries their new versions, so the next save works."""
    client.force_login(approved_plan.commissioner)
    url = reverse("monitoring:part", kwargs=kw(q1_return, period_key=q1_return.period.key, part_key="finance"))
    under = q1_return.lines.filter(kind="expenditure").first()
    first = _finance_post(q1_return, under=under, completed="yes")
    response = client.post(url, first)
    assert response.status_code == 400
    again = _posted_back(response.content.decode(), first)
    assert again[f"line-{under.pk}-version"] == str(under.version + 1)
    again[f"line-{under.pk}-explanation"] = "Started late."
    response = client.post(url, again)
    assert response.status_code == 302
    under.refresh_from_db()
    assert under.explanation == "Started late."
    assert ReturnPartProgress.objects.get(ret=q1_return, part=part(q1_return, "finance")).completed


def test_impossible_amounts_are_refused_with_a_message_and_nothing_saved(client, approved_plan, q1_return):
    client.force_login(approved_plan.commissioner)
    url = reverse("monitoring:part", kwargs=kw(q1_return, period_key=q1_return.period.key, part_key="finance"))
    data = _finance_post(q1_return)
    line = q1_return.lines.first()
    data[f"line-{line.pk}-actual"] = "lots"
    data[f"line-{line.pk}-forecast"] = "£200,000,000"
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter an amount in pounds" in body and "£100,000,000 or less" in body
    assert not q1_return.lines.exclude(actual=None).exists()


def test_a_stale_save_keeps_the_users_values_and_shows_the_other_persons(client, approved_plan, q1_return):
    client.force_login(approved_plan.commissioner)
    url = reverse("monitoring:part", kwargs=kw(q1_return, period_key=q1_return.period.key, part_key="finance"))
    line = q1_return.lines.first()
    data = _finance_post(q1_return)
    services.save_lines(
        user=approved_plan.commissioner,
        ret=q1_return,
        changes=[services.LineChange(line.pk, line.version, Decimal("777.00"), None, "theirs")],
    )
    data[f"line-{line.pk}-actual"] = "12,345.67"
    response = client.post(url, data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "12,345.67" in body  # the user's typing is still in the form
    assert 'data-conflict-row="line-' in body and "777.00" in body and "theirs" in body
    line.refresh_from_db()
    assert line.actual == Decimal("777.00")


def test_conditions_metrics_and_questions_save_and_complete(client, approved_plan, q1_return):
    client.force_login(approved_plan.commissioner)
    k = kw(q1_return, period_key=q1_return.period.key)
    c1, c2 = q1_return.conditions.all()
    response = client.post(
        reverse("monitoring:part", kwargs={**k, "part_key": "conditions"}),
        {
            "action": "continue",
            "completed": "yes",
            "condition-1-met": "yes",
            "condition-1-version": str(c1.version),
            "condition-2-met": "no",
            "condition-2-expected_date_day": "1",
            "condition-2-expected_date_month": "10",
            "condition-2-expected_date_year": "2017",
            "condition-2-explanation": "The agreement is with the board.",
            "condition-2-version": str(c2.version),
        },
    )
    assert response.status_code == 302
    assert response.url.endswith("/finance/")  # Save and continue goes to the next part
    c2.refresh_from_db()
    assert c2.met is False and c2.expected_date.isoformat() == "2017-10-01"

    metric = q1_return.metrics.first()
    response = client.post(
        reverse("monitoring:part", kwargs={**k, "part_key": "metrics"}),
        {
            "action": "later",
            f"metric-{metric.pk}-actual": "41.5",
            f"metric-{metric.pk}-on_track": "no",
            f"metric-{metric.pk}-reason": "Winter pressures came early.",
            f"metric-{metric.pk}-version": str(metric.version),
        },
    )
    assert response.status_code == 302 and response.url.endswith(f"/{q1_return.period.key}/")
    metric.refresh_from_db()
    assert (metric.actual, metric.on_track, metric.reason) == (Decimal("41.5"), False, "Winter pressures came early.")

    response = client.post(
        reverse("monitoring:part", kwargs={**k, "part_key": "budget"}),
        {"action": "later", "completed": "yes", "question-s75-in-place": "no"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'href="#question-s75-in-place-date"' in body and 'href="#question-figures-agreed"' in body
    assert q1_return.answers.get(question__key="s75-in-place").yes is False  # the partial answer is kept


def test_history_lists_who_changed_what_newest_first(client, approved_plan, q1_return):
    line = q1_return.lines.first()
    services.save_lines(
        user=approved_plan.commissioner,
        ret=q1_return,
        changes=[services.LineChange(line.pk, line.version, Decimal("1000"), None, "")],
    )
    question = part(q1_return, "narrative").questions.get()
    services.save_answers(
        user=approved_plan.commissioner,
        ret=q1_return,
        changes=[services.AnswerChange(question=question, version=None, yes=None, date=None, text="On track.")],
    )
    client.force_login(approved_plan.viewer)
    body = client.get(
        reverse("monitoring:history", kwargs=kw(q1_return, period_key=q1_return.period.key))
    ).content.decode()
    assert line.label in body and "1,000.00" in body and str(approved_plan.commissioner) in body
    assert "Questions: Describe progress" in body and "On track." in body
    assert body.index("On track.") < body.index(line.label) < body.index("Started")  # newest first


def test_autosave_keeps_a_return_parts_draft_for_its_editor_only(client, approved_plan, q1_return):
    url = reverse("monitoring:autosave", kwargs=kw(q1_return, period_key=q1_return.period.key))
    key = f"return:{q1_return.pk}:finance"
    client.force_login(approved_plan.viewer)
    assert client.post(url, {"form_key": key, "data": "{}"}).status_code == 403
    client.force_login(approved_plan.commissioner)
    response = client.post(url, {"form_key": key, "data": '{"line-1-actual": "£5"}'})
    assert response.status_code == 200
    assert UnsavedDraft.objects.get(form_key=key).data == {"line-1-actual": "£5"}
    assert client.get(url, {"form_key": key}).json()["draft"]["data"] == {"line-1-actual": "£5"}
    assert client.post(url, {"form_key": "section:vision", "data": "{}"}).status_code == 400


def test_foreign_viewer_membership_does_not_reach_the_return(client, approved_plan, q1_return):
    other = f.HwbAreaFactory()
    viewer = f.MembershipFactory(hwb_area=other, role=Membership.Role.VIEWER).user
    client.force_login(viewer)
    assert client.get(urls(q1_return)[1]).status_code == 404


def test_a_saved_part_says_so_once_on_the_task_list(client, approved_plan, q1_return):
    client.force_login(approved_plan.commissioner)
    k = kw(q1_return, period_key=q1_return.period.key)
    url = reverse("monitoring:part", kwargs={**k, "part_key": "budget"})
    response = client.post(url, {"action": "later", "question-s75-in-place": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("monitoring:task_list", kwargs=k)
    body = response.content.decode()
    assert body.count("Budget arrangements has been saved.") == 1
    assert body.count('id="notification-title-1"') == 1


def test_finance_fields_name_their_line_to_screen_readers_without_printing_it_again(client, approved_plan, q1_return):
    client.force_login(approved_plan.commissioner)
    url = reverse("monitoring:part", kwargs=kw(q1_return, period_key=q1_return.period.key, part_key="finance"))
    body = client.get(url).content.decode()
    line = q1_return.lines.first()
    for label in ("Actual to period end", "Forecast for the year", "Explanation of the variance"):
        assert f'{label}<span class="govuk-visually-hidden"> for {line.label}</span>' in body
    assert 'class="govuk-table app-return-lines app-return-entry"' in body


def test_metric_figures_show_thousands_separators(client, approved_plan, q1_return):
    metric = q1_return.metrics.first()
    q1_return.metrics.filter(pk=metric.pk).update(ambition=Decimal("5180"), actual=Decimal("5594.4"))
    client.force_login(approved_plan.commissioner)
    k = kw(q1_return, period_key=q1_return.period.key)
    page = client.get(reverse("monitoring:part", kwargs={**k, "part_key": "metrics"})).content.decode()
    assert "5,180" in page
    signoff = client.get(reverse("monitoring:signoff", kwargs=k)).content.decode()
    assert "Ambition 5,180" in signoff and "actual 5,594.40" in signoff


def test_the_return_as_read_on_sign_off_has_fixed_columns_for_long_line_names(client, approved_plan, q1_return):
    client.force_login(approved_plan.commissioner)
    k = kw(q1_return, period_key=q1_return.period.key)
    body = client.get(reverse("monitoring:signoff", kwargs=k)).content.decode()
    assert 'class="govuk-table app-return-lines app-return-document"' in body
    assert 'class="govuk-table__header app-return-document__line"' in body


def test_a_narrative_longer_than_a_workbook_cell_holds_is_refused_and_one_that_fits_is_saved(
    client, approved_plan, q1_return
):
    """The return's workbook must export and import back whole; an Excel cell holds 32,767 characters."""
    client.force_login(approved_plan.commissioner)
    url = reverse("monitoring:part", kwargs=kw(q1_return, period_key=q1_return.period.key, part_key="narrative"))
    response = client.post(url, {"action": "later", "question-progress": "a" * 32_768})
    assert response.status_code == 400
    assert "Enter 32,767 characters or fewer" in response.content.decode()
    assert not q1_return.answers.exists()
    response = client.post(url, {"action": "later", "question-progress": "a" * 32_767})
    assert response.status_code == 302
    assert len(q1_return.answers.get().text) == 32_767


def test_a_metric_actual_typed_with_a_thousands_separator_is_saved_and_shown_as_typed(client, approved_plan, q1_return):
    metric = q1_return.metrics.first()
    client.force_login(approved_plan.commissioner)
    url = reverse("monitoring:part", kwargs={**kw(q1_return, period_key=q1_return.period.key), "part_key": "metrics"})
    response = client.post(
        url, {"action": "later", f"metric-{metric.pk}-actual": "5,020", f"metric-{metric.pk}-version": metric.version}
    )
    assert response.status_code == 302
    metric.refresh_from_db()
    assert metric.actual == Decimal("5020")
    assert 'value="5020"' in client.get(url).content.decode()  # not 5020.0000
