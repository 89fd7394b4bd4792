"""Server-side journey: a demo commissioner completes every section of a shipped 2014/15 plan through the pages.

The browser suite drives the same pages in Chromium; this proves the server side against the
real round fixture (every question kind, condition and table of the template).
"""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from plans import selectors
from plans.models import Plan, SectionProgress
from rounds.models import CodeListEntry, Question, Section

pytestmark = pytest.mark.django_db

VALUES = {
    Question.Kind.NARRATIVE: "## Our approach\n\n- joint teams\n- one assessment",
    Question.Kind.TEXT: "Agreed by all partners",
    Question.Kind.MONEY: "£1,250,000.00",
    Question.Kind.CONFIRMATION: "yes",
}


def _versions(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="(v_[^"]+)" value="(\d*)"', html))


def _section_data(section: Section, html: str) -> dict:
    data = {**_versions(html), "action": "complete"}
    for question in section.questions.all():
        name = f"q_{question.key}"
        if question.kind == Question.Kind.DATE:
            data.update({f"{name}_day": "26", f"{name}_month": "3", f"{name}_year": "2014"})
        else:
            data[name] = VALUES[question.kind]
    if section.national_condition_id:
        for cq in section.national_condition.questions.all():
            prefix = f"c{cq.pk}"
            data.update(
                {
                    f"{prefix}_status": "in_progress",
                    f"{prefix}_target_date_day": "31",
                    f"{prefix}_target_date_month": "3",
                    f"{prefix}_target_date_year": "2015",
                    f"{prefix}_narrative": "We will meet this condition by March 2015.",
                }
            )
    return data


@pytest.mark.parametrize(
    ("email", "round_slug"),
    [("commissioner@bathnes.demo", "2014-15"), ("commissioner@barking-dagenham.demo", "2017-19")],
)
def test_demo_commissioner_completes_every_section_of_a_shipped_plan(client, demo_data, email, round_slug):
    user = User.objects.get(email=email)
    plan = Plan.objects.select_related("round", "hwb_area").get(
        round__slug=round_slug, hwb_area__memberships__user=user, status=Plan.Status.DRAFT
    )
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    client.force_login(user)
    overview = client.get(reverse("plans:plan_overview", kwargs=kwargs)).content.decode()
    sections = list(Section.objects.filter(round=plan.round).prefetch_related("questions").order_by("order"))
    assert len(sections) > 10
    for section in sections:
        link = selectors.section_url(plan, section)
        assert link in overview, section.key
        page = client.get(link)
        assert page.status_code == 200, (section.key, link)
        html = page.content.decode()
        section_page = reverse("plans:section", kwargs={**kwargs, "section_key": section.key})
        if section.table == Section.Table.RISKS:
            rating = CodeListEntry.objects.filter(round=plan.round, list="risk_rating").first()
            response = client.post(
                reverse("plans:risk_add", kwargs=kwargs),
                {
                    "version": "0",
                    "description": "Acute savings are not realised",
                    "rating": rating.pk,
                    "concerns_nhs_providers": "yes",
                },
            )
            assert response.status_code == 302
        if section.table == Section.Table.DOCUMENTS:
            response = client.post(
                reverse("plans:document_add", kwargs=kwargs),
                {"version": "0", "title": "Joint Health and Wellbeing Strategy", "url": "https://example.org/jhws"},
            )
            assert response.status_code == 302
        if section.table == Section.Table.METRICS:
            # The section completes only once every metric has an ambition: fill in any the demo left out.
            for metric in plan.round.metrics.exclude(ambitions__plan=plan):
                ambition = {"version": "0", "baseline_period": "2013/14", "baseline_value": "100"}
                ambition.update({f"planned_{i}_value": "95" for i in range(len(metric.periods))})
                address = reverse("metrics:ambition", kwargs={**kwargs, "metric_key": metric.key})
                assert client.post(address, ambition).status_code == 302
        if link != section_page:
            # Part 2 tables are completed on the pages the task list links to, which check the round's rules.
            response = client.post(link, {"action": "complete"})
        elif section.table:
            response = client.post(section_page, {"action": "complete"})
        else:
            response = client.post(section_page, _section_data(section, html))
        assert response.status_code == 302, (section.key, response.content.decode()[:3000])

    statuses = set(SectionProgress.objects.filter(plan=plan).values_list("status", flat=True))
    assert statuses == {"completed"}
    assert SectionProgress.objects.filter(plan=plan).count() == len(sections)
    overview = client.get(reverse("plans:plan_overview", kwargs=kwargs)).content.decode()
    assert f"{len(sections)} of {len(sections)} sections completed" in overview
    check = client.get(reverse("plans:check_answers", kwargs=kwargs)).content.decode()
    assert "Every section is completed" in check
