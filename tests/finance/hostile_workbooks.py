"""Hostile Part 2 workbooks, built by writing XML parts straight into the zip.

openpyxl would take minutes to write a million cells, so each builder takes the portal's own export
and replaces or adds one part. The files stay small on disk and pass the zip-bomb checks: what makes
them hostile is the work a parser would do.
"""

import io
import posixpath
import random
import re
import zipfile
from collections.abc import Callable, Iterable

from openpyxl.utils import get_column_letter

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def sheet_part(data: bytes, title: str) -> str:
    """The zip member holding the sheet with this title."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    # Attribute order and namespace declarations differ between openpyxl's writers (with or without lxml).
    sheet = re.search(rf'<sheet\b[^>]*\bname="{re.escape(title)}"[^>]*>', workbook).group(0)
    rel_id = re.search(r'\br:id="([^"]+)"', sheet).group(1)
    relationship = re.search(rf'<Relationship\b[^>]*\bId="{rel_id}"[^>]*>', rels).group(0)
    target = re.search(r'\bTarget="([^"]+)"', relationship).group(1)
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")


def rewritten(data: bytes, parts: dict[str, Callable[[bytes | None], Iterable[bytes]]]) -> bytes:
    """The workbook with each named part replaced (or added) by what its function yields from the old part."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        names = source.namelist()
        for name in names:
            if name not in parts:
                target.writestr(source.getinfo(name), source.read(name))
        for name, build in parts.items():
            old = source.read(name) if name in names else None
            with target.open(name, "w", force_zip64=True) as member:
                for chunk in build(old):
                    member.write(chunk)
    return out.getvalue()


def cells_far_beyond_the_sheet(data: bytes, declared: bool = True) -> bytes:
    """Income with one cell at XFD2 (the last column Excel has) and a blank cell at A1000.

    The sheet declares its size as A1:XFD1000, as Excel would write it; or, with `declared` false,
    declares nothing, so only the cells themselves show how far it reaches.
    """

    def build(old: bytes):
        xml = old.decode()
        dimension = '<dimension ref="A1:XFD1000"/>' if declared else ""
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', dimension, xml)
        row_2_end = xml.index("</row>", xml.index('<row r="2"'))
        xml = xml[:row_2_end] + '<c r="XFD2"><v>1</v></c>' + xml[row_2_end:]
        xml = xml.replace("</sheetData>", '<row r="1000"><c r="A1000"/></row></sheetData>')
        yield xml.encode()

    return rewritten(data, {sheet_part(data, "Income"): build})


def cells_far_beyond_an_undeclared_sheet(data: bytes) -> bytes:
    return cells_far_beyond_the_sheet(data, declared=False)


def a_million_cells_on_an_unread_sheet(data: bytes) -> bytes:
    """The Cover sheet (which the import never reads) replaced by 5,000 rows of 200 numbers each.

    It declares no size, so only counting its cells shows how big it is.
    """
    columns = [get_column_letter(c) for c in range(1, 201)]

    def build(old):
        yield f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
        for r in range(1, 5001):
            cells = "".join(f'<c r="{letter}{r}"><v>{r * c}</v></c>' for c, letter in enumerate(columns, start=1))
            yield f'<row r="{r}">{cells}</row>'.encode()
        yield b"</sheetData></worksheet>"

    return rewritten(data, {sheet_part(data, "Cover"): build})


def a_million_shared_strings(data: bytes) -> bytes:
    """A shared-string table of a million different strings, which no cell uses."""

    def strings(old):
        yield f'<sst xmlns="{MAIN_NS}" count="1000000" uniqueCount="1000000">'.encode()
        for start in range(0, 1_000_000, 10_000):
            yield "".join(f"<si><t>s{i}</t></si>" for i in range(start, start + 10_000)).encode()
        yield b"</sst>"

    def content_types(old):
        override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
        yield old.decode().replace("</Types>", f"{override}</Types>").encode()

    return rewritten(data, {"xl/sharedStrings.xml": strings, "[Content_Types].xml": content_types})


def with_number_text(data: bytes, sheet: str, coordinate: str, text: str) -> bytes:
    """The workbook with one number cell holding `text` as its stored value (e.g. NaN, which Excel never writes)."""

    def build(old: bytes):
        xml = old.decode()
        cell = re.search(rf'<c r="{coordinate}"[^>]*?(/>|>.*?</c>)', xml)
        style = re.search(r' s="(\d+)"', cell.group(0))
        replacement = f'<c r="{coordinate}"{style.group(0) if style else ""}><v>{text}</v></c>'
        yield (xml[: cell.start()] + replacement + xml[cell.end() :]).encode()

    return rewritten(data, {sheet_part(data, sheet): build})


def _inline(coordinate: str, text: str) -> str:
    return f'<c r="{coordinate}" t="inlineStr"><is><t>{text}</t></is></c>'


def _filled(xml: str, rows: Iterable[str]) -> Iterable[bytes]:
    """The sheet with its size declaration dropped and everything below the headings replaced by `rows`."""
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', "", xml)
    body_start = xml.index('<row r="2"') if '<row r="2"' in xml else xml.index("</sheetData>")
    yield xml[:body_start].encode()
    for row in rows:
        yield row.encode()
    yield xml[xml.index("</sheetData>") :].encode()


def at_every_limit(data: bytes, part, scan) -> bytes:
    """A workbook the import must read in full, as large as every limit allows.

    Income gets MAX_ROWS rows and Expenditure and Metrics share the cells left, as many rows each as
    fit; Cover gets numbers up to the cell limit; styles take the room left for other elements; and
    a table of unused shared strings, in rich-text runs, takes the elements left. No sheet declares
    its size, so openpyxl measures each one by reading it. `scan(data)` returns the portal's own
    counts for the file as it grows.
    """
    from finance import workbook_import as limits

    stream, organisation = part.streams[0].name, part.organisations[0].name
    codes = {name: part.codes[name][0].label for name in ("scheme_type", "area_of_spend", "commissioner", "provider")}
    years = len(part.year_labels)

    def income(r):
        # One (stream, organisation) pair per row would be valid; repeating it costs the same and is refused.
        amounts = "".join(f'<c r="{get_column_letter(3 + i)}{r}"><v>{r}.5</v></c>' for i in range(years))
        note = _inline(f"{get_column_letter(3 + years)}{r}", f"Note {r}")
        return [_inline(f"A{r}", stream), _inline(f"B{r}", organisation), amounts, note]

    def expenditure(r):
        return [
            f'<c r="A{r}"/>',
            _inline(f"B{r}", f"N{r}"),
            _inline(f"C{r}", f"New scheme {r}"),
            _inline(f"D{r}", codes["scheme_type"]),
            _inline(f"E{r}", codes["area_of_spend"]),
            _inline(f"F{r}", codes["commissioner"]),
            _inline(f"I{r}", codes["provider"]),
            _inline(f"J{r}", stream),
            *(f'<c r="{get_column_letter(11 + i)}{r}"><v>{r}</v></c>' for i in range(years)),
            _inline(f"{get_column_letter(11 + years)}{r}", "New"),
        ]

    def metrics(r):
        return [
            f'<c r="A{r}"/>',
            _inline(f"B{r}", f"Local metric {r}"),
            _inline(f"C{r}", "Rate"),
            _inline(f"D{r}", "Baseline"),
            _inline(f"E{r}", "2016/17"),
            *(f'<c r="{letter}{r}"><v>{r}</v></c>' for letter in "FGH"),
            _inline(f"K{r}", "Why this ambition"),
        ]

    def fill(data: bytes, title: str, cells, rows: int) -> bytes:
        def build(old):
            body = (f'<row r="{r}">{"".join(cells(r))}</row>' for r in range(2, rows + 2))
            yield from _filled(old.decode(), body)

        return rewritten(data, {sheet_part(data, title): build})

    data = fill(data, "Income", income, limits.MAX_ROWS - 1)
    for share, (title, cells) in ((2, ("Expenditure", expenditure)), (1, ("Metrics", metrics))):
        room = (limits.MAX_CELLS - scan(data).cells - 100) // share
        data = fill(data, title, cells, min(limits.MAX_ROWS - 1, room // len(cells(2))))

    cells_left = limits.MAX_CELLS - scan(data).cells
    width = 200

    def cover(old):
        rows = []
        for r in range(1, cells_left // width + 2):
            count = min(width, cells_left - (r - 1) * width)
            rows.append(
                f'<row r="{r}">'
                + "".join(f'<c r="{get_column_letter(c)}{r}"><v>{c}</v></c>' for c in range(1, count + 1))
                + "</row>"
            )
        yield f'<worksheet xmlns="{MAIN_NS}"><sheetData>{"".join(rows)}</sheetData></worksheet>'.encode()

    data = rewritten(data, {sheet_part(data, "Cover"): cover})

    styles_left = limits.MAX_OTHER_ELEMENTS - scan(data).other_elements - 10

    def styles(old):
        # Built-in number formats in a shuffled order, so the part does not compress like a zip bomb.
        shuffled = random.Random(14)
        formats = "".join(
            f'<xf numFmtId="{shuffled.randrange(50)}" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            for _ in range(styles_left)
        )
        yield old.decode().replace("</cellXfs>", f"{formats}</cellXfs>", 1).encode()

    data = rewritten(data, {"xl/styles.xml": styles})

    strings = limits.MAX_SHARED_STRINGS - 10
    # Each string is an <si> of rich-text runs (an <r> and its <t>), as many as the elements left allow.
    runs = (limits.MAX_XML_ELEMENTS - scan(data).elements - 10 - strings) // 2

    def shared_strings(old):
        yield f'<sst xmlns="{MAIN_NS}">'.encode()
        for i in range(strings):
            count = max(1, runs // strings + (1 if i < runs % strings else 0))
            yield ("<si>" + "".join(f"<r><t>Unused text {i}.{n}</t></r>" for n in range(count)) + "</si>").encode()
        yield b"</sst>"

    def content_types(old):
        override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
        yield old.decode().replace("</Types>", f"{override}</Types>").encode()

    return rewritten(data, {"xl/sharedStrings.xml": shared_strings, "[Content_Types].xml": content_types})
