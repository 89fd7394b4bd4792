"""The bounded workbook reader: refuse an .xlsx before openpyxl reads it unless every part of it is small.

Used by every workbook upload (finance.workbook_import for Part 2, monitoring.workbook_import for returns, rounds.reference_import for reference
data). ADR 8 says why: the size and zip-bomb checks bound the bytes of an upload, not the work inside it,
so one streaming pass (PartsScan) counts what openpyxl would build and stops at the first limit passed.
`check_file` raises WorkbookRejected with the problem, addressed by sheet and cell where it has one.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat

from django.conf import settings
from openpyxl.utils import column_index_from_string, get_column_letter

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .xlsx and old .xls files are OLE2 containers
# What one upload may hold. A full plan (40 schemes, 120 lines) is about 1,800 cells; at these limits
# an upload is still read, row forms and all, within 5 seconds and 300 MB (tests/finance/test_import_bounds.py).
MAX_ROWS = 1000  # on any sheet
MAX_COLUMNS = 256  # column IV, as far as Excel went before 2007; a Part 2 sheet uses fewer than 20
MAX_CELLS = 15_000  # on all sheets together
MAX_SHARED_STRINGS = 10_000  # distinct texts, kept once each by Excel
MAX_XML_ELEMENTS = 80_000  # in all parts together, cells and what they hold included
MAX_OTHER_ELEMENTS = 5_000  # outside the sheets' rows and the shared strings: styles, names, formatting
MAX_CELL_TEXT = 32_767  # characters: the most an Excel cell holds
MAX_TEXT = 5_000_000  # characters of text in all (notes are at most 250, a rationale 10,000)
MAX_COMPRESSION_RATIO = 200
MAX_ZIP_MEMBERS = 500


def max_uncompressed_size() -> int:
    return getattr(settings, "MAX_WORKBOOK_UNCOMPRESSED_SIZE", 50 * 1024 * 1024)


@dataclass(frozen=True)
class CellError:
    sheet: str  # "" for a problem with the file as a whole
    cell: str
    message: str

    def __str__(self):
        if not self.sheet:
            return f"The file: {self.message}"
        if not self.cell:
            return f"Sheet '{self.sheet}': {self.message}"
        return f"{self.sheet}!{self.cell}: {self.message}"


class WorkbookRejected(Exception):
    def __init__(self, errors: list[CellError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


# --- Safety checks on the file itself ------------------------------------------------


DAMAGED = "The file is damaged and cannot be opened. Export a new workbook and try again"
DAMAGED_SHEET = "It is damaged: export a new workbook, copy your figures into it and try again"


def _reject(message: str, sheet: str = "", cell: str = ""):
    raise WorkbookRejected([CellError(sheet, cell, message)])


def check_file(data: bytes) -> None:
    """Refuse anything that is not a small, plain, unencrypted .xlsx whose parts stay within the limits."""
    limit = settings.MAX_UPLOAD_SIZE
    if len(data) > limit:
        _reject(f"The file is {len(data) / 1048576:.1f} MB. It must be smaller than {limit // 1048576} MB")
    if not data:
        _reject("The file is empty. Choose an Excel workbook (.xlsx)")
    if data.startswith(OLE2_MAGIC):
        _reject(
            "The file is password-protected or encrypted, or is an old .xls workbook. "
            "Remove the password, save it as an Excel workbook (.xlsx) and try again"
        )
    if not data.startswith(b"PK\x03\x04"):
        _reject("The file is not an Excel workbook (.xlsx)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        _reject(DAMAGED)
    if len(members) > MAX_ZIP_MEMBERS:
        _reject(
            f"The workbook has {len(members)} parts, more than the {MAX_ZIP_MEMBERS} a workbook exported by the portal can have"
        )
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            _reject("The file is password-protected or encrypted. Remove the password and try again")
        total += member.file_size
        if member.file_size > 1_000_000 and member.file_size > member.compress_size * MAX_COMPRESSION_RATIO:
            _reject("The file expands to far more than its size (a zip bomb) and was not opened")
    if total > max_uncompressed_size():
        _reject(
            f"The workbook would expand to {total / 1048576:.0f} MB, more than the "
            f"{max_uncompressed_size() // 1048576} MB limit, and was not opened"
        )
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        _reject("The file is not an Excel workbook (.xlsx)")
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, EOFError, NotImplementedError):
        bad = "?"
    if bad:
        _reject(DAMAGED)
    PartsScan(archive).run()


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_DATA, SHARED_STRINGS = f"{MAIN_NS} sheetData", f"{MAIN_NS} sst"
CELL, ROW, VALUE, DIMENSION, SHARED_STRING, SHEET = (
    f"{MAIN_NS} {tag}" for tag in ("c", "row", "v", "dimension", "si", "sheet")
)
TEXT_TAGS = {f"{MAIN_NS} {tag}" for tag in ("t", "v", "f")}
RELATIONSHIP = "http://schemas.openxmlformats.org/package/2006/relationships Relationship"
RELATIONSHIP_ID = "http://schemas.openxmlformats.org/officeDocument/2006/relationships id"
WORKBOOK_PARTS = ["xl/_rels/workbook.xml.rels", "xl/workbook.xml"]  # read first: they name the sheets
COORDINATE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
LAST_COLUMN = get_column_letter(MAX_COLUMNS)


class PartsScan:
    """One streaming pass over every part of the workbook, counting what openpyxl would have to build.

    expat calls back for each element and nothing is kept, so the pass costs a fixed, small amount per
    element however the file is shaped; it stops at the first limit passed. A part that is not
    well-formed XML is counted as far as it parses, which is as far as any parser could get in it.
    """

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.elements = self.other_elements = self.cells = self.strings = self.text = 0
        self.sheet_titles: dict[str, str] = {}  # part name -> sheet title
        self.relationships: dict[str, str] = {}  # relationship id -> part name
        self.not_numbers: list[CellError] = []

    def run(self) -> None:
        names = [m.filename for m in self.archive.infolist()]
        for name in [*(n for n in WORKBOOK_PARTS if n in names), *(n for n in names if n not in WORKBOOK_PARTS)]:
            self._scan(name)
        if self.not_numbers:
            raise WorkbookRejected(self.not_numbers)

    def _scan(self, part: str) -> None:
        self.part, self.sheet = part, self.sheet_titles.get(part, "")  # "" for parts that are not sheets
        self.row = self.column = 0
        self.in_rows = False  # inside a sheet's rows or the shared strings, which the limits on cells count
        self.cell = ""  # the coordinate of the cell being read, if any
        self.numeric_cell = False
        self.in_text = False
        self.cell_text = 0  # characters in the current cell or shared string
        self.value: list[str] = []
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._doctype  # as defusedxml's forbid_dtd: no entities at all
        parser.EntityDeclHandler = self._doctype
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.buffer_text = True
        try:
            with self.archive.open(part) as stream:
                while chunk := stream.read(65536):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except expat.ExpatError:
            return  # not XML (an image) or not well-formed: openpyxl refuses it if it is a part it reads

    def _doctype(self, *args):
        _reject(DAMAGED)

    def _too_far(self, what: str):
        _reject(
            f"The sheet {what}. A workbook exported by the portal has nothing beyond column {LAST_COLUMN} or row {MAX_ROWS:,}: "
            "delete the rows and columns beyond them, save the workbook and try again",
            self.sheet,
        )

    def _start(self, name: str, attrs: dict) -> None:
        self.elements += 1
        if not self.in_rows:
            self.other_elements += 1
            self.in_rows = name in (SHEET_DATA, SHARED_STRINGS)
        if self.elements > MAX_XML_ELEMENTS or self.other_elements > MAX_OTHER_ELEMENTS:
            _reject(
                "The workbook holds far more formatting, names or other content than a workbook exported by the portal needs. "
                "Export a new workbook and copy your figures into it"
            )
        if name == CELL:
            self.cells += 1
            if self.cells > MAX_CELLS:
                _reject(
                    f"The workbook has more than {MAX_CELLS:,} cells, far more than a workbook exported by the portal needs. "
                    "Delete what was added beyond the portal's rows and columns, or export a new workbook and "
                    "copy your figures into it"
                )
            found = COORDINATE.fullmatch(attrs.get("r", ""))
            if found:
                row, self.column = int(found[2]), column_index_from_string(found[1].upper())
            else:  # as openpyxl does, a cell without a reference follows the one before it
                row, self.column = self.row, self.column + 1
            if row > MAX_ROWS or self.column > MAX_COLUMNS:
                self._too_far(f"has a cell at {get_column_letter(min(self.column, 18278))}{row}")
            self.cell, self.cell_text = f"{get_column_letter(self.column)}{row}", 0
            self.numeric_cell = attrs.get("t", "n") == "n"
        elif name == ROW:
            self.row, self.column = _row_number(attrs.get("r"), self.row), 0
            if self.row > MAX_ROWS:
                self._too_far(f"has a row {self.row:,}")
        elif name in TEXT_TAGS:
            self.in_text = True
            if name == VALUE and self.numeric_cell:
                self.value = []
        elif name == SHARED_STRING:
            self.cell, self.cell_text = "", 0
            self.strings += 1
            if self.strings > MAX_SHARED_STRINGS:
                _reject(
                    f"The workbook stores more than {MAX_SHARED_STRINGS:,} pieces of text, far more than a "
                    "workbook exported by the portal needs. Export a new workbook and copy your figures into it"
                )
        elif name == DIMENSION:
            last = COORDINATE.fullmatch(attrs.get("ref", "").split(":")[-1])
            if last and (int(last[2]) > MAX_ROWS or column_index_from_string(last[1].upper()) > MAX_COLUMNS):
                self._too_far(f"says it reaches {last[0]}")
        elif name == SHEET and self.part == "xl/workbook.xml":
            target = self.relationships.get(attrs.get(RELATIONSHIP_ID, ""))
            if target:
                self.sheet_titles[target] = attrs.get("name", "")
        elif name == RELATIONSHIP and self.part == "xl/_rels/workbook.xml.rels":
            target = attrs.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            self.relationships[attrs.get("Id", "")] = part

    def _end(self, name: str) -> None:
        if name in (SHEET_DATA, SHARED_STRINGS):
            self.in_rows = False
        if name == VALUE and self.numeric_cell:
            self._check_number("".join(self.value))
        if name == CELL:
            self.cell, self.numeric_cell = "", False
        if name in TEXT_TAGS:
            self.in_text = False

    def _text(self, data: str) -> None:
        if not self.in_text:
            return
        self.cell_text += len(data)
        self.text += len(data)
        if self.cell_text > MAX_CELL_TEXT:
            _reject(
                f"A cell holds more than {MAX_CELL_TEXT:,} characters, more than Excel allows. Shorten it and try again",
                self.sheet,
                self.cell,
            )
        if self.text > MAX_TEXT:
            _reject(
                f"The workbook holds more than {MAX_TEXT:,} characters of text, far more than a workbook exported by the portal "
                "needs. Export a new workbook and copy your figures into it"
            )
        if self.numeric_cell:
            self.value.append(data)

    def _check_number(self, text: str) -> None:
        """Read the number as openpyxl will; NaN or infinity would stop it, or poison every total."""
        if not text:
            return  # openpyxl reads an empty value as an empty cell
        try:
            number = float(text) if "." in text or "E" in text or "e" in text else int(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            self.not_numbers.append(
                CellError(self.sheet, self.cell, f"Enter a number. The cell holds '{text[:20]}', which is not one")
            )


def _row_number(text: str | None, previous: int) -> int:
    """A row's number as openpyxl reads it: its r attribute (which may be written as 2.0), else the next one."""
    if text is None:
        return previous + 1
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return previous + 1  # openpyxl refuses the file
    return int(number) if number.is_integer() else previous + 1
