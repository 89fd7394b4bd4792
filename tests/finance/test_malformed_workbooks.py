"""Bad workbooks are refused with errors naming sheet and cell, and the plan is left exactly as it was."""

import io
import zipfile

import msoffcrypto.format.ooxml
import openpyxl
import pytest

from finance import workbook
from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from finance.selectors import part_two_for_plan, workbook_content_hash
from finance.services import apply_workbook_import
from finance.workbook_import import WorkbookRejected
from metrics.models import MetricAmbition, PlannedValue
from tests.finance.hostile_workbooks import with_number_text

pytestmark = pytest.mark.django_db


def to_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def edited(plan, change) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(workbook.render_plan_workbook(plan)))
    change(wb)
    return to_bytes(wb)


def set_cell(sheet, coordinate, value):
    def change(wb):
        wb[sheet][coordinate] = value

    return change


def not_an_xlsx(plan, other):
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def truncated(plan, other):
    data = workbook.render_plan_workbook(plan)
    return data[: len(data) // 2]


def bad_crc(plan, other):
    """A zip whose directory is intact but whose sheet data is damaged."""
    data = bytearray(workbook.render_plan_workbook(plan))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet3.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 10
    data[start : start + 8] = bytes(b ^ 0xFF for b in data[start : start + 8])
    return bytes(data)


def password_protected(plan, other):
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(workbook.render_plan_workbook(plan))).encrypt("secret", encrypted)
    return encrypted.getvalue()


def zip_bomb(plan, other):
    """Small on disk, 80 MB of zeros once expanded."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(80):
                member.write(chunk)
    return buffer.getvalue()


def another_area(plan, other):
    return workbook.render_plan_workbook(other)


def another_round(plan, other):
    return edited(plan, set_cell(workbook.ID_SHEET, "B2", "2014-15"))


def not_from_portal(plan, other):
    wb = openpyxl.Workbook()
    wb.active.title = "Income"
    return to_bytes(wb)


def missing_sheet(plan, other):
    return edited(plan, lambda wb: wb.remove(wb["Income"]))


def renamed_sheet(plan, other):
    def change(wb):
        wb["Expenditure"].title = "Spend"

    return edited(plan, change)


def renamed_column(plan, other):
    return edited(plan, set_cell("Income", "C1", "Year 1"))


def text_in_number_cell(plan, other):
    return edited(plan, set_cell("Income", "C2", "about 1.4 million"))


def formula_in_number_cell(plan, other):
    return edited(plan, set_cell("Expenditure", "L3", "=1800000*2"))


def negative_amount(plan, other):
    return edited(plan, set_cell("Expenditure", "M4", -2650000))


def out_of_range_amount(plan, other):
    return edited(plan, set_cell("Income", "D6", 100_000_000.01))


def too_many_decimal_places(plan, other):
    return edited(plan, set_cell("Income", "C3", 1044000.125))


def unknown_scheme_type(plan, other):
    return edited(plan, set_cell("Expenditure", "D2", "Magic beans"))


def unknown_funding_stream(plan, other):
    return edited(plan, set_cell("Income", "A2", "Lottery"))


def unknown_organisation(plan, other):
    return edited(plan, set_cell("Income", "B2", "Plymouth City Council"))


def unknown_provider(plan, other):
    return edited(plan, set_cell("Expenditure", "J3", "Someone"))


def joint_percentages_not_100(plan, other):
    def change(wb):
        row = next(r for r in range(2, 30) if wb["Expenditure"][f"B{r}"].value == "BD14")
        wb["Expenditure"][f"I{row}"] = 60

    return edited(plan, change)


def renamed_scheme(plan, other):
    return edited(plan, set_cell("Expenditure", "C2", "A name typed offline"))


def new_scheme_with_two_names(plan, other):
    def change(wb):
        ws = wb["Expenditure"]
        total = next(r for r in range(2, 40) if ws[f"B{r}"].value == "Total")
        for offset, name in enumerate(["Falls prevention", "Falls prevention service"]):
            ws.insert_rows(total + offset)
            row = [None, "BD99", name, "Prevention / Early Intervention", None, "Community Health", "CCG", None, None]
            row += ["NHS Community Provider", "CCG minimum contribution", 1000, 1000, "New"]
            for c, value in enumerate(row, start=1):
                ws.cell(row=total + offset, column=c, value=value)

    return edited(plan, change)


def unknown_line_id(plan, other):
    return edited(plan, set_cell("Expenditure", "A2", 999999))


def text_in_metric_number(plan, other):
    def change(wb):
        ws = wb["Metrics"]
        row = next(r for r in range(2, 30) if ws[f"D{r}"].value == "Baseline" and ws[f"F{r}"].value is not None)
        ws[f"G{row}"] = "lots"

    return edited(plan, change)


CASES = [
    # (builder, expected sheet, expected cell, words in the message)
    (not_an_xlsx, "", "", "not an Excel workbook"),
    (truncated, "", "", "damaged"),
    (bad_crc, "", "", "damaged"),
    (password_protected, "", "", "password-protected"),
    (zip_bomb, "", "", "zip bomb"),
    (another_area, "Identification", "B1", "for area E06000026, not E09000002"),
    (another_round, "Identification", "B2", "for the 2014-15 planning round, not 2017-19"),
    (not_from_portal, "", "", "identification sheet is missing"),
    (missing_sheet, "Income", "", "missing or was renamed"),
    (renamed_sheet, "Expenditure", "", "missing or was renamed"),
    (renamed_column, "Income", "C1", "should be '2017/18 £' but is 'Year 1'"),
    (text_in_number_cell, "Income", "C2", "Enter a number, not text"),
    (formula_in_number_cell, "Expenditure", "L3", "not a formula"),
    (negative_amount, "Expenditure", "M4", "Enter an amount of £0 or more"),
    (out_of_range_amount, "Income", "D6", "Enter an amount of £100,000,000 or less"),
    (too_many_decimal_places, "Income", "C3", "no more than 2 decimal places"),
    (unknown_scheme_type, "Expenditure", "D2", "'Magic beans' is not a scheme type of this round"),
    (unknown_funding_stream, "Income", "A2", "'Lottery' is not a funding stream of this round"),
    (unknown_organisation, "Income", "B2", "is not an organisation of this area"),
    (unknown_provider, "Expenditure", "J3", "'Someone' is not a provider"),
    (joint_percentages_not_100, "Expenditure", "I15", "must add up to 100"),
    (unknown_line_id, "Expenditure", "A2", "Line ID 999999 is not a line of this plan"),
    (renamed_scheme, "Expenditure", "C2", "rename a scheme on the Schemes page"),
    (new_scheme_with_two_names, "Expenditure", None, "Give each scheme one name"),
    (text_in_metric_number, "Metrics", None, "Enter a number, not text"),
]


def database_state(plan):
    return (
        workbook_content_hash(part_two_for_plan(plan)),
        IncomeLine.history.count(),
        ExpenditureLine.history.count(),
        ExpenditureAmount.history.count(),
        MetricAmbition.objects.count(),
        PlannedValue.objects.count(),
    )


@pytest.mark.parametrize(("build", "sheet", "cell", "words"), CASES, ids=[c[0].__name__ for c in CASES])
def test_malformed_workbook_is_refused_with_an_addressed_error_and_nothing_changes(
    build, sheet, cell, words, bd_plan, plymouth_plan
):
    plan, user = bd_plan
    other, _ = plymouth_plan
    data = build(plan, other)
    before = database_state(plan)

    with pytest.raises(WorkbookRejected) as rejected:
        apply_workbook_import(user=user, plan=plan, data=data)

    errors = rejected.value.errors
    matching = [e for e in errors if words in e.message]
    assert matching, [str(e) for e in errors]
    error = matching[0]
    assert error.sheet == sheet
    if cell is not None:
        assert error.cell == cell
    else:
        assert error.cell  # addressed to a cell, whichever row the metric is on
    assert database_state(plan) == before


def test_oversized_upload_is_refused_before_it_is_opened(bd_plan, settings):
    plan, user = bd_plan
    data = workbook.render_plan_workbook(plan)
    settings.MAX_UPLOAD_SIZE = len(data) - 1
    before = database_state(plan)
    with pytest.raises(WorkbookRejected) as rejected:
        apply_workbook_import(user=user, plan=plan, data=data)
    assert "It must be smaller than" in rejected.value.errors[0].message
    assert database_state(plan) == before


def test_every_error_in_a_workbook_is_listed_not_just_the_first(bd_plan):
    plan, user = bd_plan

    def change(wb):
        wb["Income"]["C2"] = -1
        wb["Income"]["D3"] = "n/a"
        wb["Expenditure"]["K2"] = "Lottery"

    data = edited(plan, change)
    with pytest.raises(WorkbookRejected) as rejected:
        apply_workbook_import(user=user, plan=plan, data=data)
    assert {(e.sheet, e.cell) for e in rejected.value.errors} == {
        ("Income", "C2"),
        ("Income", "D3"),
        ("Expenditure", "K2"),
    }


def metric_baseline(wb, column: str) -> str:
    ws = wb["Metrics"]
    row = next(r for r in range(2, 40) if ws[f"D{r}"].value == "Baseline" and ws[f"B{r}"].value.startswith("Permanent"))
    return f"{column}{row}"


def joint_line(wb, column: str) -> str:
    return f"{column}{next(r for r in range(2, 30) if wb['Expenditure'][f'B{r}'].value == 'BD14')}"


@pytest.mark.parametrize(
    ("sheet", "where", "value", "words"),
    [
        ("Income", lambda wb: "C3", 1_000_000 / 3, "no more than 2 decimal places"),  # 333333.3333333333
        ("Expenditure", lambda wb: "L2", 1_935_000 / 7, "no more than 2 decimal places"),  # 276428.5714285714
        ("Expenditure", lambda wb: joint_line(wb, "H"), 100 / 3, "no more than 2 decimal places"),
        ("Metrics", lambda wb: metric_baseline(wb, "F"), 2 / 3, "no more than 4 decimal places"),
        ("Metrics", lambda wb: metric_baseline(wb, "G"), 130.333333333333, "no more than 2 decimal places"),
    ],
    ids=["income", "expenditure", "percent-nhs", "metric-value", "metric-numerator"],
)
def test_too_many_decimal_places_is_refused_for_that_reason_not_as_too_large(sheet, where, value, words, bd_plan):
    """A figure pasted from a division has many digits after the point; the message must say so."""
    plan, user = bd_plan
    cells = []

    def change(wb):
        cells.append(where(wb))
        wb[sheet][cells[0]] = value

    data = edited(plan, change)
    before = database_state(plan)
    with pytest.raises(WorkbookRejected) as rejected:
        apply_workbook_import(user=user, plan=plan, data=data)
    assert [(e.sheet, e.cell) for e in rejected.value.errors] == [(sheet, cells[0])], rejected.value.errors
    message = rejected.value.errors[0].message
    assert words in message and "less" not in message and "from 0 to 100" not in message, message
    assert database_state(plan) == before


@pytest.mark.parametrize("stored", ["NaN", "nan", "INF", "-inf", "1E999", "-1E999", "Infinity"])
def test_nan_or_infinity_in_a_number_cell_is_refused_at_its_cell(stored, bd_plan):
    """Excel never writes these, but other tools do; the user is told which cell, not that the file is damaged."""
    plan, user = bd_plan
    data = with_number_text(workbook.render_plan_workbook(plan), "Income", "C3", stored)
    before = database_state(plan)
    with pytest.raises(WorkbookRejected) as rejected:
        apply_workbook_import(user=user, plan=plan, data=data)
    [error] = rejected.value.errors
    assert (error.sheet, error.cell) == ("Income", "C3")
    assert error.message == f"Enter a number. The cell holds '{stored}', which is not one"
    assert database_state(plan) == before
