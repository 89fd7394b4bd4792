"""The open dataset: the published approved plans' figures, equal to the database, with a data dictionary
from the round's configuration, and no personal data anywhere in the workbook or the CSVs."""

import csv
import io
import zipfile
from collections import defaultdict
from decimal import Decimal

import openpyxl
import pytest
from django.db.models import Sum
from django.urls import reverse

from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from metrics.models import MetricAmbition
from opendata.dictionary import data_dictionary
from opendata.services import publish_round
from rounds.models import FundingStream, Metric
from tests.opendata.conftest import assert_no_personal_data

pytestmark = pytest.mark.django_db


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture
def published(open_round):
    publish_round(user=open_round.national_admin, planning_round=open_round.round)
    return open_round


def _workbook(client, r):
    response = client.get(reverse("opendata:dataset_xlsx", args=[r.round.slug]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="bcf-open-data-2014-15.xlsx"'
    return openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)


def _csvs(client, r) -> dict[str, list[list[str]]]:
    response = client.get(reverse("opendata:dataset_csv", args=[r.round.slug]))
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: list(csv.reader(io.StringIO(archive.read(name).decode()))) for name in archive.namelist()}


def _body(rows):
    return [r for r in rows[1:] if r[0] != "Total"]


def test_workbook_figures_equal_the_published_plans_in_the_database(client, published, django_assert_max_num_queries):
    with django_assert_max_num_queries(40):
        wb = _workbook(client, published)
    assert wb.sheetnames[0] == "Income"
    assert {"Expenditure", "Metrics", "Published plans", "Data dictionary"} <= set(wb.sheetnames)
    plans = [published.approved, published.with_conditions]
    ons = {p.hwb_area.ons_code for p in plans}

    income_rows = list(wb["Income"].iter_rows(values_only=True))
    header, body = income_rows[0], _body(income_rows)
    assert {r[1] for r in body} == ons  # the submitted, not approved plan is not in it
    by_area = defaultdict(Decimal)
    for row in body:
        by_area[row[1]] += _money(row[header.index("Amount (£)")])
    expected = {
        r["plan__hwb_area__ons_code"]: r["t"]
        for r in IncomeLine.objects.filter(plan__in=plans).values("plan__hwb_area__ons_code").annotate(t=Sum("amount"))
    }
    assert dict(by_area) == expected

    spend_rows = list(wb["Expenditure"].iter_rows(values_only=True))
    header, body = spend_rows[0], _body(spend_rows)
    assert len(body) == ExpenditureLine.objects.filter(plan__in=plans).count() > 0
    total = sum((_money(r[header.index("Total (£)")]) for r in body), Decimal(0))
    assert total == ExpenditureAmount.objects.filter(line__plan__in=plans).aggregate(t=Sum("amount"))["t"]

    metric_rows = _body(list(wb["Metrics"].iter_rows(values_only=True)))
    assert {r[1] for r in metric_rows} <= ons
    assert len(metric_rows) >= MetricAmbition.objects.filter(plan__in=plans).count()

    listed = list(wb["Published plans"].iter_rows(values_only=True))
    assert sorted(r[1] for r in listed[1:]) == sorted(ons)
    assert all(
        r[7].startswith("http://testserver/open-data/2014-15/") and r[7].endswith("/part-1.pdf") for r in listed[1:]
    )


def test_csv_files_hold_the_same_rows_as_the_workbook(client, published):
    wb = _workbook(client, published)
    csvs = _csvs(client, published)
    assert set(csvs) == {f"{name.lower().replace(' ', '-')}.csv" for name in wb.sheetnames}
    income = csvs["income.csv"]
    rows = list(wb["Income"].iter_rows(values_only=True))
    assert len(income) == len(rows)
    header = income[0]
    amount = header.index("Amount (£)")
    assert [_money(r[amount]) for r in _body(income)] == [_money(r[amount]) for r in _body(rows)]
    assert [r[2] for r in income[1:]] == ["" if r[2] is None else r[2] for r in rows[1:]]


def test_no_personal_data_in_the_workbook_or_the_csvs(client, published):
    wb = _workbook(client, published)
    cells = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert_no_personal_data("\n".join(cells))
    for rows in _csvs(client, published).values():
        assert_no_personal_data("\n".join(",".join(r) for r in rows))


def test_data_dictionary_lists_every_funding_stream_metric_and_column(client, published):
    planning_round = published.round
    dictionary = data_dictionary(planning_round)
    page = client.get(reverse("opendata:dictionary", args=[planning_round.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    wb = _workbook(client, published)
    sheet = list(wb["Data dictionary"].iter_rows(values_only=True))
    assert sheet[0] == ("Section", "Name", "Code", "Meaning")
    names_in_sheet = {(r[0], r[1]) for r in sheet[1:]}

    streams = list(FundingStream.objects.filter(round=planning_round))
    metrics = list(Metric.objects.filter(round=planning_round))
    assert streams and metrics
    for stream in streams:
        assert ("Funding stream", stream.name) in names_in_sheet
        assert stream.key in html
    for metric in metrics:
        assert ("Metric", metric.name) in names_in_sheet
        assert metric.get_unit_display() in html
    # Every column of every data sheet is explained.
    for title in ("Income", "Expenditure", "Metrics", "Published plans"):
        for column in next(wb[title].iter_rows(values_only=True)):
            assert (title, column) in names_in_sheet, f"{title}: {column} has no entry in the data dictionary"
    assert len(dictionary.rows()) == len(sheet) - 1
    assert_no_personal_data(html)
