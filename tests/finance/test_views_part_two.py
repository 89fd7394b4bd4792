"""The income, expenditure, summary and import pages, and the export endpoints, through the browser's eyes."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from finance import workbook
from finance.models import ExpenditureLine, IncomeLine
from governance.models import ExportJob
from plans.models import SectionProgress
from tests import factories as f

pytestmark = pytest.mark.django_db
KW = {"round_slug": "2017-19", "ons_code": "E09000002"}
# Part 2's own reads are 17 queries (part_two_for_plan); the rest is sign-in, the plan getter and
# the shared page layout (menus), which other parts of the portal grow.
PAGE_QUERY_LIMIT = 32


def url(name, **extra):
    return reverse(name, kwargs={**KW, **extra})


@pytest.fixture
def signed_in(bd_plan, client):
    plan, user = bd_plan
    client.force_login(user)
    return plan, user, client


@pytest.fixture
def outsider(bd_plan, plymouth_plan, client):
    """A commissioner of another area (Plymouth), signed in."""
    _, plymouth_user = plymouth_plan
    client.force_login(plymouth_user)
    return client


def all_urls(plan):
    line = IncomeLine.objects.filter(plan=plan).first()
    spend = ExpenditureLine.objects.filter(plan=plan).first()
    job = ExportJob.objects.create(plan=plan, kind="xlsx", content_hash="x" * 64, status="done")
    return [
        ("get", url("finance:income")),
        ("post", url("finance:income")),
        ("get", url("finance:income_add")),
        ("get", url("finance:income_change", pk=line.pk)),
        ("post", url("finance:income_remove", pk=line.pk)),
        ("get", url("finance:expenditure")),
        ("get", url("finance:expenditure_add")),
        ("get", url("finance:expenditure_change", pk=spend.pk)),
        ("post", url("finance:expenditure_remove", pk=spend.pk)),
        ("get", url("finance:summary")),
        ("get", url("finance:import")),
        ("post", url("finance:import_confirm")),
        ("get", url("metrics:ambitions")),
        ("get", url("metrics:ambition", metric_key="residential")),
        ("get", url("metrics:local_add")),
        ("post", url("governance:export_request", kind="xlsx")),
        ("get", url("governance:export_status", job_id=job.pk)),
        ("get", url("governance:export_download", job_id=job.pk)),
    ]


def test_commissioner_of_another_area_gets_404_on_every_part_two_url_and_sees_nothing(bd_plan, outsider):
    plan, _ = bd_plan
    before = (IncomeLine.objects.count(), ExpenditureLine.objects.count())
    for method, address in all_urls(plan):
        response = getattr(outsider, method)(address)
        assert response.status_code == 404, (method, address, response.status_code)
        assert b"Barking" not in response.content and b"13,415,000" not in response.content
    assert (IncomeLine.objects.count(), ExpenditureLine.objects.count()) == before


def test_income_page_shows_lines_totals_and_read_only_minimums(signed_in, django_assert_max_num_queries):
    plan, _, client = signed_in
    with django_assert_max_num_queries(PAGE_QUERY_LIMIT):
        response = client.get(url("finance:income"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "£13,415,000.00" in html and "£21,758,000.00" in html and "£24,236,000.00" in html
    assert "Minimum pooled budget" in html and "£20,235,000.00" in html
    assert "Mark this section as completed" in html


def test_expenditure_and_summary_pages_have_fixed_query_counts(signed_in, django_assert_max_num_queries):
    _, _, client = signed_in
    with django_assert_max_num_queries(PAGE_QUERY_LIMIT):
        expenditure = client.get(url("finance:expenditure"))
    assert "Joint Assessment and Discharge service" in expenditure.content.decode()
    with django_assert_max_num_queries(PAGE_QUERY_LIMIT):
        summary = client.get(url("finance:summary"))
    html = summary.content.decode()
    assert "The pooled budget for 2017/18 is £21,758,000, which meets the minimum of £20,235,000" in html
    assert '<svg role="img"' in html and "Spend by scheme type" in html
    assert "Export the Part 2 workbook (.xlsx)" in html


def test_adding_more_lines_does_not_add_queries(signed_in):
    plan, _, client = signed_in

    def count(path):
        client.get(url(path))  # the round's configuration is read once per process, then cached
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(path)).status_code == 200
        return len(queries)

    before = {path: count(path) for path in ("finance:income", "finance:expenditure", "finance:summary")}
    spend = ExpenditureLine.objects.filter(plan=plan).first()
    for _ in range(10):
        copy = ExpenditureLine.objects.create(
            plan=plan,
            scheme=spend.scheme,
            scheme_type=spend.scheme_type,
            area_of_spend=spend.area_of_spend,
            commissioner=spend.commissioner,
            provider=spend.provider,
            funding_stream=spend.funding_stream,
        )
        copy.amounts.create(year=plan.round.years.first(), amount=1)
    after = {path: count(path) for path in before}
    assert after == before


def test_income_line_change_saves_and_records_who(signed_in):
    plan, user, client = signed_in
    line = IncomeLine.objects.get(plan=plan, funding_stream__key="dfg", year__label="2017/18")
    response = client.post(
        url("finance:income_change", pk=line.pk),
        {
            "funding_stream": line.funding_stream_id,
            "organisation": line.organisation_id,
            "year": line.year_id,
            "amount": "1400000",
            "note": "Confirmed by housing",
            "version": line.version,
        },
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.amount == Decimal("1400000.00") and line.version == 2
    assert line.history.first().history_user == user


def test_stale_income_edit_is_refused_and_keeps_what_was_typed(signed_in):
    plan, _, client = signed_in
    line = IncomeLine.objects.get(plan=plan, funding_stream__key="dfg", year__label="2017/18")
    opened_version = line.version
    line.amount = Decimal("1391500")  # someone else saves first
    line.version += 1
    line.save()
    response = client.post(
        url("finance:income_change", pk=line.pk),
        {
            "funding_stream": line.funding_stream_id,
            "organisation": line.organisation_id,
            "year": line.year_id,
            "amount": "1999999",
            "version": opened_version,
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this line after you opened it" in html
    assert 'value="1999999"' in html  # what the user typed is still there
    assert "£1,391,500.00" in html  # and what is saved now is shown
    line.refresh_from_db()
    assert line.amount == Decimal("1391500")


def test_invalid_amount_shows_error_and_keeps_input(signed_in):
    plan, _, client = signed_in
    line = IncomeLine.objects.filter(plan=plan).first()
    response = client.post(
        url("finance:income_change", pk=line.pk),
        {
            "funding_stream": line.funding_stream_id,
            "organisation": line.organisation_id,
            "year": line.year_id,
            "amount": "-10",
            "note": "typed note",
            "version": line.version,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "Enter an amount of £0 or more" in html
    assert 'value="typed note"' in html


def test_expenditure_line_can_be_added_for_a_new_scheme_and_removed(signed_in):
    plan, _, client = signed_in
    line = ExpenditureLine.objects.filter(plan=plan).first()
    years = list(plan.round.years.all())
    data = {
        "scheme_reference": "BD20",
        "scheme_name": "Falls prevention",
        "scheme_type": line.scheme_type_id,
        "area_of_spend": line.area_of_spend_id,
        "commissioner": line.commissioner_id,
        "provider": line.provider_id,
        "funding_stream": line.funding_stream_id,
        f"amount_{years[0].pk}": "12000",
        "is_new": "new",
        "version": "",
    }
    assert client.post(url("finance:expenditure_add"), data).status_code == 302
    added = ExpenditureLine.objects.get(plan=plan, scheme__reference="BD20")
    assert [a.amount for a in added.amounts.all()] == [Decimal("12000.00")]
    response = client.post(url("finance:expenditure_remove", pk=added.pk), {"version": added.version})
    assert response.status_code == 302
    assert not ExpenditureLine.objects.filter(pk=added.pk).exists()


def test_joint_percentages_must_add_up(signed_in):
    plan, _, client = signed_in
    line = ExpenditureLine.objects.filter(plan=plan).first()
    data = {
        "scheme_reference": line.scheme.reference,
        "scheme_name": line.scheme.name,
        "scheme_type": line.scheme_type_id,
        "area_of_spend": line.area_of_spend_id,
        "commissioner": line.commissioner_id,
        "provider": line.provider_id,
        "funding_stream": line.funding_stream_id,
        "percent_nhs": "60",
        "percent_la": "30",
        "is_new": "existing",
        "version": line.version,
    }
    response = client.post(url("finance:expenditure_change", pk=line.pk), data)
    assert response.status_code == 400
    assert "% NHS and % LA must add up to 100" in response.content.decode()


def test_mark_income_section_completed(signed_in):
    plan, _, client = signed_in
    response = client.post(url("finance:income"), {"action": "complete"})
    assert response.status_code == 302
    assert SectionProgress.objects.get(plan=plan, section__table="income").status == "completed"


def test_viewer_cannot_edit(bd_plan, client):
    plan, _ = bd_plan
    viewer = f.MembershipFactory(hwb_area=plan.hwb_area, role=Membership.Role.VIEWER).user
    client.force_login(viewer)
    assert client.get(url("finance:income")).status_code == 200
    assert client.get(url("finance:income_add")).status_code == 403
    assert client.post(url("finance:income"), {"action": "complete"}).status_code == 403


def test_import_through_the_pages_previews_then_applies(signed_in):
    plan, _, client = signed_in
    wb = openpyxl.load_workbook(io.BytesIO(workbook.render_plan_workbook(plan)))
    ws = wb["Income"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == "Improved Better Care Fund")
    ws.cell(row=row, column=3).value = 1_100_000
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.name = "bd.xlsx"
    buffer.seek(0)
    preview = client.post(url("finance:import"), {"workbook": buffer})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "0 added, 1 changed, 0 removed" in html
    assert (
        "Improved Better Care Fund from London Borough of Barking and Dagenham: 2017/18 £1,044,000 to £1,100,000"
        in html
    )
    assert IncomeLine.objects.get(plan=plan, funding_stream__key="ibcf", year__label="2017/18").amount == 1_044_000
    done = client.post(url("finance:import_confirm"))
    assert done.status_code == 302
    assert IncomeLine.objects.get(plan=plan, funding_stream__key="ibcf", year__label="2017/18").amount == 1_100_000


def test_import_page_lists_every_error_with_sheet_and_cell(signed_in):
    plan, _, client = signed_in
    wb = openpyxl.load_workbook(io.BytesIO(workbook.render_plan_workbook(plan)))
    wb["Income"]["C2"] = "lots"
    wb["Expenditure"]["D2"] = "Magic"
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.name = "bd.xlsx"
    buffer.seek(0)
    response = client.post(url("finance:import"), {"workbook": buffer})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing in the plan has been changed" in html
    assert '<td class="govuk-table__cell">C2</td>' in html and '<td class="govuk-table__cell">D2</td>' in html


def test_workbook_export_has_a_fixed_number_of_queries(bd_plan, plymouth_plan, django_assert_max_num_queries):
    plan, _ = bd_plan
    smaller, _ = plymouth_plan  # 5 lines instead of 14: no more queries
    for each in (plan, smaller):
        with django_assert_max_num_queries(26):  # the first read of each round's configuration (sections included)
            workbook.render_plan_workbook(each)
    for each in (plan, smaller):
        with django_assert_max_num_queries(7):
            workbook.render_plan_workbook(each)


def test_summary_tables_are_kept_by_their_figures_so_any_change_is_shown(signed_in):
    """The summary's tables are kept per process by a hash of the figures they show (plans.fragments):
    amounts changed outside the services (a bulk fix) still reach the next page. (A test's transaction
    reads the rows afresh; tests/finance/test_kept_rows.py covers the rows kept between views.)"""
    from django.db.models import F

    from finance import selectors
    from finance.models import ExpenditureAmount
    from plans.templatetags.plan_tags import pounds

    plan, _, client = signed_in
    before = client.get(url("finance:summary")).content.decode()
    ExpenditureAmount.objects.filter(line__plan=plan).update(amount=F("amount") + 1000)
    spend = selectors.finance_summary(selectors.part_two_for_plan(plan, finance_only=True)).spend_totals[0]
    after = client.get(url("finance:summary")).content.decode()
    assert pounds(spend) in after and pounds(spend) not in before
