"""The one way a value becomes a cell in any workbook the portal writes (the Part 2 workbook, the national dataset).

It sits in the lowest layer so that every app that writes a workbook uses it. Text a user typed is
always stored as text, even when it starts like a formula (= + - @): a spreadsheet must never run
what someone typed into a scheme name, a note or a risk.
"""

from openpyxl.cell import Cell

FORMULA_PREFIXES = ("=", "+", "-", "@")


def set_cell_value(cell: Cell, value) -> Cell:
    """Put `value` in `cell` (of a normal or a write-only worksheet); formula-like text stays text.

    openpyxl would store text starting with = as a formula; the string type keeps it text, and the
    quote prefix keeps it text when someone edits the cell in Excel or LibreOffice.
    """
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
