"""The one cell writer every workbook uses: text typed like a formula is stored as text."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.cell import WriteOnlyCell

from plans.spreadsheets import FORMULA_PREFIXES, set_cell_value


def written(write_only: bool, values: list) -> bytes:
    wb = openpyxl.Workbook(write_only=write_only)
    ws = wb.create_sheet("Sheet") if write_only else wb.active
    if write_only:
        ws.append([set_cell_value(WriteOnlyCell(ws), v) for v in values])
    else:
        for column, value in enumerate(values, start=1):
            set_cell_value(ws.cell(row=1, column=column), value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("write_only", [False, True], ids=["worksheet", "write-only"])
def test_text_starting_like_a_formula_is_written_as_text(write_only):
    texts = [f"{prefix}1+1" for prefix in FORMULA_PREFIXES]
    data = written(write_only, [*texts, "plain text", Decimal("12.50"), None])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<f>" not in archive.read(next(n for n in archive.namelist() if "worksheets/" in n)).decode()
    row = next(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows())
    assert [c.value for c in row[:5]] == [*texts, "plain text"]
    assert all(c.data_type == "s" and c.quotePrefix for c in row[:4])
    assert not row[4].quotePrefix and row[5].value == 12.5


@pytest.mark.parametrize("write_only", [False, True], ids=["worksheet", "write-only"])
def test_control_characters_pasted_into_text_do_not_break_the_workbook(write_only):
    """A vertical tab or bell pasted from Word cannot be held in a workbook's XML: each becomes �, the rest stays."""
    data = written(write_only, ["Home first\x0bdischarge", "=SUM(1)\x07"])
    row = next(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows())
    assert [c.value for c in row[:2]] == ["Home first\ufffddischarge", "=SUM(1)\ufffd"]
    assert row[1].data_type == "s"
