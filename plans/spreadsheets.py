"""The one way a value becomes a cell in any workbook the portal writes (the Part 2 workbook, the national dataset).

It sits in the lowest layer so that every app that writes a workbook uses it. Text a user typed is
always stored as text, even when it starts like a formula (= + - @): a spreadsheet must never run
what someone typed into a scheme name, a note or a risk.
"""

from openpyxl.cell import Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_PREFIXES = ("=", "+", "-", "@")
# Control characters (a vertical tab pasted from Word, say) cannot be written in a workbook's XML at
# all: openpyxl refuses them and the whole export would fail. Each is shown as the replacement mark.
REPLACEMENT_CHARACTER = "\ufffd"


def set_cell_value(cell: Cell, value) -> Cell:
    """Put `value` in `cell` (of a normal or a write-only worksheet); formula-like text stays text.

    openpyxl would store text starting with = as a formula; the string type keeps it text, and the
    quote prefix keeps it text when someone edits the cell in Excel or LibreOffice.
    """
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT_CHARACTER, value)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
