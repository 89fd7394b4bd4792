"""The Part 2 workbook's capacity and demand sheet: exported with gaps and totals, imported all or nothing."""

import io

import openpyxl
import pytest

from capacity import selectors
from capacity.models import CapacityDemandFigure
from finance import workbook
from finance.selectors import part_two_for_plan
from finance.services import apply_workbook_import
from finance.workbook_import import WorkbookRejected, diff_workbook, read_workbook
from tests.recalculation import saved_by_libreoffice

pytestmark = pytest.mark.django_db
SHEET = "Capacity and demand"


def export(plan) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(workbook.render_plan_workbook(plan)))


def to_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def row_of(ws, key, period) -> int:
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == key and ws.cell(r, 5).value == period)


@pytest.fixture
def filled(cd_plan):
    plan, user = cd_plan
    CapacityDemandFigure.objects.create(plan=plan, row_key="home-reablement", period="Apr 2030", demand=50, capacity=42)
    CapacityDemandFigure.objects.create(plan=plan, row_key="bed-rehab", period="May 2030", demand=7, capacity=None)
    CapacityDemandFigure.objects.create(plan=plan, row_key="urgent-response", period="Jun 2030", demand=31, capacity=30)
    return plan, user


def test_the_sheet_lists_every_service_type_and_period_in_the_rounds_words(filled):
    plan, _ = filled
    wb = export(plan)
    assert wb.sheetnames.index(SHEET) == wb.sheetnames.index("Metrics") + 1
    ws = wb[SHEET]
    assert [c.value for c in ws[1][:8]] == [
        "Row key",
        "Block",
        "Service type",
        "Discharge pathway",
        "Period",
        "Referrals expected",
        "Places available",
        "Gap (capacity minus demand)",
    ]
    assert ws.max_row >= 1 + 3 * 3  # three service types, three months
    r = row_of(ws, "home-reablement", "Apr 2030")
    assert [ws.cell(r, c).value for c in range(2, 8)] == [
        "Leaving hospital",
        "Reablement at home",
        "1",
        "Apr 2030",
        50,
        42,
    ]
    assert ws.cell(r, 8).value == f'=IF(AND(ISNUMBER(F{r}),ISNUMBER(G{r})),G{r}-F{r},"")'
    assert ws.column_dimensions["A"].hidden


def test_libreoffice_works_out_the_gaps_and_totals(filled, tmp_path):
    plan, _ = filled
    recalculated = openpyxl.load_workbook(
        io.BytesIO(saved_by_libreoffice(workbook.render_plan_workbook(plan), tmp_path)), data_only=True
    )[SHEET]
    r = row_of(recalculated, "home-reablement", "Apr 2030")
    assert recalculated.cell(r, 8).value == -8
    totals = {
        (recalculated.cell(r, 10).value, recalculated.cell(r, 11).value): [
            recalculated.cell(r, c).value for c in (12, 13, 14)
        ]
        for r in range(2, recalculated.max_row + 1)
        if recalculated.cell(r, 10).value
    }
    assert totals[("Leaving hospital", "Apr 2030")] == [50, 42, -8]
    assert totals[("Leaving hospital", "Total")] == [57, 42, -15]
    assert totals[("Referrals from the community", "Total")] == [31, 30, -1]


def test_export_then_import_changes_nothing(filled):
    plan, user = filled
    before = selectors.figures_for_plans([plan.pk])[plan.pk]
    history = CapacityDemandFigure.history.count()
    data = workbook.render_plan_workbook(plan)

    assert diff_workbook(part_two_for_plan(plan), read_workbook(data, plan)) == []
    assert apply_workbook_import(user=user, plan=plan, data=data) == []

    assert selectors.figures_for_plans([plan.pk])[plan.pk] == before
    assert CapacityDemandFigure.history.count() == history


def test_figures_changed_offline_are_imported(filled):
    plan, user = filled
    wb = export(plan)
    ws = wb[SHEET]
    ws.cell(row_of(ws, "home-reablement", "Apr 2030"), 7).value = 50  # capacity 42 -> 50
    ws.cell(row_of(ws, "bed-rehab", "Jun 2030"), 6).value = 9  # a new figure
    ws.cell(row_of(ws, "urgent-response", "Jun 2030"), 6).value = None  # cleared
    ws.cell(row_of(ws, "urgent-response", "Jun 2030"), 7).value = None

    changes = apply_workbook_import(user=user, plan=plan, data=to_bytes(wb))

    assert sorted((c.kind, c.sheet, c.description) for c in changes) == [
        ("added", SHEET, "Rehabilitation in a bed (Leaving hospital), Jun 2030: referrals expected blank to 9"),
        ("changed", SHEET, "Reablement at home (Leaving hospital), Apr 2030: places available 42 to 50"),
        (
            "removed",
            SHEET,
            "Urgent community response (Referrals from the community), Jun 2030: "
            "referrals expected 31 to blank, places available 30 to blank",
        ),
    ]
    assert selectors.figures_for_plans([plan.pk])[plan.pk] == {
        ("home-reablement", "Apr 2030"): (50, 50),
        ("bed-rehab", "May 2030"): (7, None),
        ("bed-rehab", "Jun 2030"): (9, None),
    }
    assert apply_workbook_import(user=user, plan=plan, data=workbook.render_plan_workbook(plan)) == []


def test_a_workbook_with_bad_figures_is_refused_whole_with_each_cell_named(filled):
    plan, user = filled
    wb = export(plan)
    ws = wb[SHEET]
    good = row_of(ws, "home-reablement", "May 2030")
    ws.cell(good, 6).value = 12  # a valid change, not applied because of the errors below
    r1, r2 = row_of(ws, "bed-rehab", "Apr 2030"), row_of(ws, "bed-rehab", "May 2030")
    ws.cell(r1, 6).value = -4
    ws.cell(r1, 7).value = 2.5
    ws.cell(r2, 7).value = "lots"
    r3 = row_of(ws, "urgent-response", "Apr 2030")
    ws.cell(r3, 1).value = "made-up"
    ws.cell(r3 + 1, 5).value = "Jul 2030"
    ws.cell(r3 + 2, 5).value = "Apr 2030"  # urgent-response, Apr 2030 a second time (row r3 was renamed)
    ws.cell(r3 + 2, 1).value = "home-reablement"
    too_many = row_of(ws, "home-reablement", "Jun 2030")
    ws.cell(too_many, 6).value = 1_000_001

    with pytest.raises(WorkbookRejected) as rejected:
        apply_workbook_import(user=user, plan=plan, data=to_bytes(wb))

    assert sorted(str(e) for e in rejected.value.errors) == sorted(
        [
            f"{SHEET}!F{r1}: Enter referrals expected as a whole number from 0 to 1,000,000",
            f"{SHEET}!G{r1}: Enter places available as a whole number from 0 to 1,000,000",
            f"{SHEET}!G{r2}: Enter a number, not text ('lots')",
            f"{SHEET}!A{r3}: 'made-up' is not a service type of this round's table. Leave the row key as exported",
            f"{SHEET}!E{r3 + 1}: 'Jul 2030' is not a period of this round's table. Enter one of: Apr 2030, May 2030, Jun 2030",
            f"{SHEET}!E{r3 + 2}: This service type and period is also on row {row_of(ws, 'home-reablement', 'Apr 2030')}",
            f"{SHEET}!F{too_many}: Enter referrals expected as a whole number from 0 to 1,000,000",
        ]
    )
    assert CapacityDemandFigure.objects.get(plan=plan, row_key="home-reablement").demand == 50
    assert not CapacityDemandFigure.objects.filter(plan=plan, row_key="home-reablement", period="May 2030").exists()


def test_a_workbook_without_the_sheet_is_refused(filled):
    plan, user = filled
    wb = export(plan)
    del wb[SHEET]
    with pytest.raises(WorkbookRejected) as rejected:
        apply_workbook_import(user=user, plan=plan, data=to_bytes(wb))
    assert [str(e) for e in rejected.value.errors] == [
        f"Sheet '{SHEET}': The sheet is missing or was renamed. Do not rename or remove sheets"
    ]
