"""Each round's pages and files use that round's own wording (issue 17): hints and labels come from the round.

A 2025–26 plan shows 2025–26 dates, years, headings and contributor; a 2014/15 plan keeps its own.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from governance.selectors import part1_document
from governance.snapshots import read_plan_snapshot
from plans.models import Plan
from rounds.examples import hint_examples
from rounds.models import CodeListEntry, FundingStream, HwbArea, Metric, Organisation, PlanningRound, Section
from tests import factories as f

pytestmark = pytest.mark.django_db

PLYMOUTH = "E06000026"

# What each round's pages must say, from its fixture: its own years, deadline and labels.
EXPECTED = {
    "2025-26": {
        "target_date": "For example, 31 3 2026",
        "signed_on": "For example, 31 3 2025",
        "baseline": "For example 2024/25 or Q4 2024/25",
        "new_period": "For example 2025/26",
        "headings": ["Document", "Summary and link", "Risk", "Likelihood", "Impact", "Mitigating actions"],
        "contributor_nhs": "NHS (ICB)",
    },
    "2014-15": {
        "target_date": "For example, 31 3 2015",
        "signed_on": "For example, 19 9 2014",
        "baseline": "For example 2013/14 or Q4 2013/14",
        "new_period": "For example 2015/16",
        "headings": [
            "Document or information title",
            "Synopsis and links",
            "Risk",
            "Risk rating",
            "Mitigating Actions",
        ],
        "contributor_nhs": "NHS (CCG)",
    },
}
# Wording of the other round that must not leak into a plan's pages.
FOREIGN = {"2025-26": ["31 3 2015", "2013/14", "Synopsis and links"], "2014-15": ["31 3 2026", "2024/25"]}


@pytest.fixture
def plan(shipped_rounds, request):
    rnd = PlanningRound.objects.get(slug=request.param)
    plan = f.PlanFactory(round=rnd, hwb_area=HwbArea.objects.get(ons_code=PLYMOUTH))
    rating = CodeListEntry.objects.filter(round=rnd, list=CodeListEntry.List.RISK_RATING).first()
    f.RiskFactory(plan=plan, rating=rating)
    f.RelatedDocumentFactory(plan=plan)
    return plan


def _url(name: str, plan: Plan, **kwargs) -> str:
    return reverse(name, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, **kwargs})


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _commissioner(client, plan: Plan):
    membership = f.MembershipFactory(hwb_area=plan.hwb_area, role="commissioner")
    client.force_login(membership.user)


BOTH = pytest.mark.parametrize("plan", ["2025-26", "2014-15"], indirect=True)


@BOTH
def test_condition_target_date_hint_is_a_date_in_the_round(client, plan):
    _commissioner(client, plan)
    section = Section.objects.filter(round=plan.round, national_condition__isnull=False).order_by("order").first()
    body = _page(client, _url("plans:section", plan, section_key=section.key))
    assert EXPECTED[plan.round.slug]["target_date"] in body
    assert not any(other in body for other in FOREIGN[plan.round.slug])


@BOTH
def test_documents_and_risks_tables_use_the_rounds_column_titles(client, plan):
    _commissioner(client, plan)
    body = ""
    for table in (Section.Table.DOCUMENTS, Section.Table.RISKS):
        section = Section.objects.get(round=plan.round, table=table)
        body += _page(client, _url("plans:section", plan, section_key=section.key))
    for heading in EXPECTED[plan.round.slug]["headings"]:
        assert f'<th scope="col" class="govuk-table__header">{heading}</th>' in body
    form = _page(client, _url("plans:document_add", plan))
    assert EXPECTED[plan.round.slug]["headings"][0] in form  # the title field is labelled like the column


@BOTH
def test_the_pdf_uses_the_same_column_titles_as_the_pages(plan):
    doc = part1_document(read_plan_snapshot(plan))
    headings = [c.heading for c in (*doc["document_columns"], *doc["risk_columns"])]
    for heading in EXPECTED[plan.round.slug]["headings"]:
        assert heading in headings


@BOTH
def test_metric_hints_use_the_rounds_years(client, plan):
    _commissioner(client, plan)
    metric = Metric.objects.filter(round=plan.round).order_by("order").first()
    national = _page(client, _url("metrics:ambition", plan, metric_key=metric.key))
    assert EXPECTED[plan.round.slug]["baseline"] in national
    local = _page(client, _url("metrics:local_add", plan))
    assert EXPECTED[plan.round.slug]["new_period"] in local
    assert not any(other in national + local for other in FOREIGN[plan.round.slug])


@BOTH
def test_date_signed_hint_is_the_rounds_deadline(client, plan):
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.READY_FOR_SIGNOFF)
    slot = plan.round.signoff_slots.order_by("order").first()
    membership = f.MembershipFactory(hwb_area=plan.hwb_area, role="signatory", signoff_slot_code=slot.code)
    client.force_login(membership.user)
    body = _page(client, _url("governance:sign", plan, slot_code=slot.code))
    assert EXPECTED[plan.round.slug]["signed_on"] in body


@BOTH
def test_income_contributor_is_the_rounds_nhs_body(plan):
    stream = FundingStream.objects.filter(round=plan.round, contributor=FundingStream.Contributor.NHS).first()
    organisation = Organisation.objects.filter(hwb_areas=plan.hwb_area).first()
    year = plan.round.years.order_by("order").first()
    f.IncomeLineFactory(plan=plan, funding_stream=stream, organisation=organisation, year=year, amount=Decimal(1))
    income = part1_document(read_plan_snapshot(plan))["finance"]["income"]
    assert [row["contributor"] for row in income] == [EXPECTED[plan.round.slug]["contributor_nhs"]]


def test_a_round_without_labels_gets_neutral_wording():
    rnd = f.PlanningRoundFactory(labels={})
    f.RoundYearFactory(round=rnd, label="2030/31", order=1)
    stream = f.FundingStreamFactory(round=rnd, contributor=FundingStream.Contributor.NHS)
    assert stream.contributor_label(rnd.labels) == "NHS"
    assert rnd.label("documents_column_title") == "Title"
    examples = hint_examples(rnd)
    assert (examples.date_in_round, examples.baseline_period, examples.period) == (
        "31 3 2031",
        "2029/30 or Q4 2029/30",
        "2030/31",
    )


@pytest.mark.parametrize(("slug", "hint"), [("2025-26", "For example 31 3 2025"), ("2017-19", "For example 11 9 2017")])
def test_round_deadline_hints_are_the_rounds_own_deadline(client, shipped_rounds, slug, hint):
    client.force_login(f.MembershipFactory(role="national_admin", hwb_area=None).user)
    body = _page(client, reverse("governance:national_round", kwargs={"round_slug": slug}))
    assert body.count(hint) == 2  # draft and final deadline
