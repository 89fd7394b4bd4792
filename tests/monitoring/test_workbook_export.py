"""The return workbook: its cover, one sheet per part, input and pre-filled cells, and the variance formula."""

import pytest
from openpyxl.utils import get_column_letter

from monitoring.workbook import FINANCE_HEADERS, RETURN_WORKBOOK_FORMAT_VERSION, WORKBOOK_KIND
from tests.monitoring.conftest_wb import (
    BUDGET,
    CONDITIONS,
    FINANCE,
    METRICS,
    NARRATIVE,
    build_return_cast,
    export_url,
    exported,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rc(db):
    return build_return_cast()


def test_workbook_has_a_cover_and_one_sheet_per_part_in_order(rc):
    wb = exported(rc.ret)
    assert wb.sheetnames == ["Cover", BUDGET, CONDITIONS, FINANCE, METRICS, NARRATIVE]
    cover = {row[0]: row[1] for row in wb["Cover"].iter_rows(min_row=3, values_only=True)}
    assert cover["Workbook"] == WORKBOOK_KIND
    assert cover["Format version"] == RETURN_WORKBOOK_FORMAT_VERSION
    assert cover["ONS code"] == rc.ret.plan.hwb_area.ons_code
    assert cover["Planning round"] == rc.ret.plan.round.slug
    assert cover["Period"] == "q1-2017-18"
    assert cover["Return"] == rc.ret.pk
    assert "Do not change the cover" in cover


def test_every_line_is_a_row_with_its_planned_amounts_and_a_variance_formula(rc):
    ws = exported(rc.ret)[FINANCE]
    lines = list(rc.ret.lines.order_by("kind", "order"))
    assert [c.value for c in ws[1]] == FINANCE_HEADERS
    assert ws.max_row == len(lines) + 1
    variance = get_column_letter(FINANCE_HEADERS.index("Variance %") + 1)
    for r, line in enumerate(lines, start=2):
        assert ws[f"D{r}"].value == line.label
        assert ws[f"F{r}"].value == float(line.planned) or ws[f"F{r}"].value == line.planned
        formula = ws[f"{variance}{r}"].value
        assert formula.startswith("=IF(") and f"H{r}" in formula and f"F{r}" in formula


def test_input_cells_are_yellow_and_unlocked_and_prefilled_cells_grey_and_locked(rc):
    ws = exported(rc.ret)[FINANCE]
    assert ws.protection.sheet
    actual, planned = ws["H2"], ws["F2"]
    assert actual.fill.fgColor.rgb.endswith("FFF7BF") and not actual.protection.locked
    assert planned.fill.fgColor.rgb.endswith("E5E6E7") and planned.protection.locked
    assert ws.column_dimensions["A"].hidden


def test_yes_no_and_amount_cells_carry_data_validation(rc):
    wb = exported(rc.ret)
    finance = wb[FINANCE].data_validations.dataValidation
    amounts = [dv for dv in finance if dv.type == "decimal"]
    assert amounts and all(dv.formula1 == "0" and dv.formula2 == "100000000.00" for dv in amounts)
    conditions = wb[CONDITIONS].data_validations.dataValidation
    assert any(dv.type == "list" and dv.formula1 == '"Yes,No"' for dv in conditions)
    assert any(dv.type == "date" for dv in conditions)


def test_readers_download_the_workbook_within_a_query_bound(rc, client, django_assert_max_num_queries):
    client.force_login(rc.cast.viewer)
    with django_assert_max_num_queries(20):
        response = client.get(export_url(rc.ret))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]


def test_text_columns_wrap_so_long_names_and_narratives_read_down_the_cell(rc):
    wb = exported(rc.ret)
    finance = wb[FINANCE]
    for r in range(2, finance.max_row + 1):
        for name in ("Line", "Detail", "Explanation of variance"):
            cell = finance.cell(row=r, column=FINANCE_HEADERS.index(name) + 1)
            assert cell.alignment.wrap_text and cell.alignment.vertical == "top", (name, r)
        assert not finance.cell(row=r, column=FINANCE_HEADERS.index("Actual to period end £") + 1).alignment.wrap_text
    narrative = wb[NARRATIVE]
    assert all(narrative.cell(row=r, column=6).alignment.wrap_text for r in range(2, narrative.max_row + 1))
    assert wb["Cover"]["B12"].alignment.wrap_text  # the note on how to fill the workbook in


def test_rows_with_long_text_are_tall_enough_to_show_it_up_to_excels_limit(rc):
    line = rc.ret.lines.order_by("kind", "order").first()
    rc.ret.lines.filter(pk=line.pk).update(explanation="Beds closed for refurbishment in May. " * 10)
    ws = exported(rc.ret)[FINANCE]
    assert ws.row_dimensions[2].height == 7 * 15  # 380 characters: six lines of 55 and part of a seventh
    short = [r for r in range(3, ws.max_row + 1) if all(len(str(ws[f"{c}{r}"].value or "")) <= 55 for c in "DEK")]
    assert short and all(ws.row_dimensions[r].height is None for r in short)  # one line: Excel's own height
