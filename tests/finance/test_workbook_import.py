"""Round trip: export the workbook, change it offline with openpyxl, import it back."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from finance import workbook
from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from finance.selectors import finance_summary, part_two_for_plan
from finance.services import apply_workbook_import
from finance.workbook_import import WorkbookRejected, diff_workbook, read_workbook
from metrics.models import MetricAmbition, PlannedValue
from schemes.models import Scheme
from tests.recalculation import saved_by_libreoffice

pytestmark = pytest.mark.django_db


def export(plan) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(workbook.render_plan_workbook(plan)))


def to_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def find_row(ws, column: int, value) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=column).value == value)


def test_importing_an_unchanged_export_changes_nothing(bd_plan):
    plan, user = bd_plan
    data = workbook.render_plan_workbook(plan)
    before = finance_summary(part_two_for_plan(plan))
    history_before = IncomeLine.history.count() + ExpenditureLine.history.count() + ExpenditureAmount.history.count()
    assert diff_workbook(part_two_for_plan(plan), read_workbook(data, plan)) == []
    assert apply_workbook_import(user=user, plan=plan, data=data) == []
    after = finance_summary(part_two_for_plan(plan))
    assert after.pooled_totals == before.pooled_totals and after.spend_totals == before.spend_totals
    history_after = IncomeLine.history.count() + ExpenditureLine.history.count() + ExpenditureAmount.history.count()
    assert history_after == history_before


def test_round_trip_applies_figures_changed_offline(bd_plan):
    plan, user = bd_plan
    wb = export(plan)
    income = wb["Income"]
    # CCG minimum 2018/19 goes up by £100,000; DFG 2017/18 goes down.
    ccg_row = find_row(income, 1, "CCG minimum contribution")
    income.cell(row=ccg_row, column=4).value = 13_770_000
    dfg_row = find_row(income, 1, "Disabled Facilities Grant")
    income.cell(row=dfg_row, column=3).value = 1_300_000.5
    # A new income line added offline, above the Total row.
    income.insert_rows(dfg_row + 1)
    income.cell(row=dfg_row + 1, column=1).value = "Additional CCG contribution"
    income.cell(row=dfg_row + 1, column=2).value = "NHS Barking and Dagenham CCG"
    income.cell(row=dfg_row + 1, column=3).value = 250_000
    expenditure = wb["Expenditure"]
    crisis = find_row(expenditure, 2, "BD02")
    expenditure.cell(row=crisis, column=13).value = 1_935_000
    # Remove End of Life Care and add a new scheme line.
    eol = find_row(expenditure, 2, "BD05")
    eol_id = expenditure.cell(row=eol, column=1).value
    for c in range(1, expenditure.max_column + 1):
        expenditure.cell(row=eol, column=c).value = None
    new = expenditure.max_row + 1
    for c, value in enumerate(
        [
            None,
            "BD15",
            "Falls prevention",
            "Prevention / Early Intervention",
            None,
            "Community Health",
            "CCG",
            None,
            None,
            "NHS Community Provider",
            "Additional CCG contribution",
            200_000,
            None,
            "New",
        ],
        start=1,
    ):
        expenditure.cell(row=new, column=c).value = value
    metrics = wb["Metrics"]
    residential = find_row(metrics, 2, "Permanent admissions of older people to residential care")
    metrics.cell(row=residential + 1, column=6).value = 650.5
    metrics.cell(row=residential + 1, column=7).value = 126
    metrics.cell(row=residential + 1, column=8).value = 19370

    changes = apply_workbook_import(user=user, plan=plan, data=to_bytes(wb))
    kinds = sorted((c.kind, c.sheet) for c in changes)
    assert ("added", "Income") in kinds and ("removed", "Expenditure") in kinds and ("added", "Expenditure") in kinds

    lines = {
        (line.funding_stream.key, line.year.label): line.amount
        for line in IncomeLine.objects.filter(plan=plan).select_related("funding_stream", "year")
    }
    assert lines[("ccg-minimum", "2018/19")] == Decimal("13770000.00")
    assert lines[("dfg", "2017/18")] == Decimal("1300000.50")
    assert lines[("additional-ccg", "2017/18")] == Decimal("250000.00")
    assert ("additional-ccg", "2018/19") not in lines
    assert not ExpenditureLine.objects.filter(pk=eol_id).exists()
    crisis_line = ExpenditureLine.objects.get(plan=plan, scheme__reference="BD02")
    assert crisis_line.amounts.get(year__label="2018/19").amount == Decimal("1935000.00")
    assert crisis_line.amounts.get(year__label="2017/18").amount == Decimal("1800000.00")
    falls = ExpenditureLine.objects.get(plan=plan, scheme__reference="BD15")
    assert falls.is_new and falls.funding_stream.key == "additional-ccg"
    assert [a.amount for a in falls.amounts.all()] == [Decimal("200000.00")]
    assert Scheme.objects.get(plan=plan, reference="BD15").name == "Falls prevention"
    ambition = MetricAmbition.objects.get(plan=plan, metric__key="residential")
    planned = PlannedValue.objects.get(ambition=ambition, period="2017/18")
    assert (planned.value, planned.numerator, planned.denominator) == (Decimal("650.5"), 126, 19370)

    summary = finance_summary(part_two_for_plan(plan))
    assert summary.pooled_totals == [Decimal("21667000.50") + 250_000, Decimal(24_336_000)]
    # who changed it is recorded, outside a web request too
    changed = IncomeLine.history.filter(history_type="~", funding_stream__key="ccg-minimum").first()
    assert changed is not None and changed.history_user == user
    assert ExpenditureLine.history.filter(history_type="-", id=eol_id).get().history_user == user

    # Exporting again and importing that changes nothing more.
    assert apply_workbook_import(user=user, plan=plan, data=workbook.render_plan_workbook(plan)) == []


def test_import_of_workbook_with_errors_changes_nothing(bd_plan):
    plan, user = bd_plan
    wb = export(plan)
    income = wb["Income"]
    income.cell(row=2, column=3).value = 1_500_000  # a valid change ...
    income.cell(row=3, column=3).value = -5  # ... alongside an invalid one
    with pytest.raises(WorkbookRejected) as rejected:
        apply_workbook_import(user=user, plan=plan, data=to_bytes(wb))
    assert [str(e) for e in rejected.value.errors] == ["Income!C3: Enter an amount of £0 or more"]
    assert rejected.value.errors[0].cell == "C3"
    assert finance_summary(part_two_for_plan(plan)).pooled_totals == [Decimal(21_758_000), Decimal(24_236_000)]


def test_confirming_a_changed_income_line_creates_no_empty_metric_ambitions(bd_plan):
    """A round metric the plan has no ambition for is exported as blank rows; importing them back is no change."""
    plan, user = bd_plan
    assert MetricAmbition.objects.filter(plan=plan, metric__key="nel").count() == 0  # exported as blank rows
    wb = export(plan)
    income = wb["Income"]
    income.cell(row=find_row(income, 1, "Improved Better Care Fund"), column=3).value = 1_100_000
    ambitions = list(MetricAmbition.objects.filter(plan=plan).order_by("pk").values_list("pk", "version"))
    planned = PlannedValue.objects.filter(ambition__plan=plan).count()

    changes = apply_workbook_import(user=user, plan=plan, data=to_bytes(wb))

    assert [c.sheet for c in changes] == ["Income"]
    assert list(MetricAmbition.objects.filter(plan=plan).order_by("pk").values_list("pk", "version")) == ambitions
    assert PlannedValue.objects.filter(ambition__plan=plan).count() == planned


def test_a_blank_metric_row_given_a_figure_offline_still_creates_its_ambition(bd_plan):
    plan, user = bd_plan
    wb = export(plan)
    metrics = wb["Metrics"]
    row = next(
        r
        for r in range(2, metrics.max_row + 1)
        if metrics.cell(row=r, column=2).value == "Non-elective admissions"
        and metrics.cell(row=r, column=4).value == "Plan"
    )
    metrics.cell(row=row, column=6).value = 21000

    changes = apply_workbook_import(user=user, plan=plan, data=to_bytes(wb))

    assert [c.sheet for c in changes] == ["Metrics"]
    ambition = MetricAmbition.objects.get(plan=plan, metric__key="nel")
    assert [(p.period, p.value) for p in ambition.planned_values.all()] == [("2017/18", Decimal(21000))]


def test_a_workbook_saved_again_by_libreoffice_imports_with_no_changes(bd_plan, tmp_path):
    """A real office suite rewrites every part (shared strings, styles, relative part names); the
    bounds pass and the read-only reader read it as the portal's own file."""
    plan, _ = bd_plan
    resaved = saved_by_libreoffice(workbook.render_plan_workbook(plan), tmp_path)
    with zipfile.ZipFile(io.BytesIO(resaved)) as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()
    assert diff_workbook(part_two_for_plan(plan), read_workbook(resaved, plan)) == []
