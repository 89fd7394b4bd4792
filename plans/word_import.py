"""Reading a Word plan (.docx) into pieces a commissioner can place in the plan before anything is saved.

Three steps, each bounded:
1. `check_docx` refuses, before any converter opens it, a file that is not a small, plain .docx: too big,
   not a zip (a renamed PDF, image or text file), encrypted or an old .doc (OLE2), a zip bomb, too many
   parts, paths that climb out of the package, macros (vbaProject.bin, macro-enabled content types),
   oversized embedded media, XML that is malformed, declares a DTD or entities, or is too large, and
   relationships to files outside the package (remote images, linked objects, sub-documents). A link to
   the template it was made from (attachedTemplate) is harmless to us, since nothing reads it: it is
   noted and ignored.
2. `convert` runs mammoth, with an image handler that never opens an image, so nothing is fetched or
   decoded; the HTML is then mapped to Markdown (`html_to_blocks`), a fixed small tag set, and every
   piece passes plans.markdown.check_markdown before it can be saved.
3. `split_into_pieces` maps the blocks to the round's sections by their headings and numbering;
   tables under the risks or documents heading become rows of those tables (rounds.columns).
docs/word-import.md says what is matched and what is refused, and why.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from xml.parsers import expat

import filetype
import mammoth
from django.conf import settings

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .docx and old .doc files are OLE2 containers
# A 60-page plan with pictures is about 3 MB and 150 parts; these leave room and bound the work.
MAX_UNCOMPRESSED_SIZE = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 300
MAX_COMPRESSION_RATIO = 100
MAX_MEDIA_SIZE = 5 * 1024 * 1024  # one embedded picture or object
# Measured: a document near these limits (2,900 paragraphs, 80,000 elements) converts in about 7 s of CPU and 210 MB.
MAX_XML_ELEMENTS = 80_000  # in all XML parts together; a 60-page plan has about 40,000
MAX_PARAGRAPHS = 3_000  # in the document's body, counted before mammoth reads it
MAX_BLOCKS = MAX_PARAGRAPHS  # paragraphs, lists and tables in the converted document
MAX_TABLE_CELLS = 5_000

MACRO_CONTENT_TYPES = ("macroenabled", "vbaproject", "activex")
# External relationships that are only a record of where the document came from: never read by mammoth.
IGNORED_EXTERNAL = ("/attachedtemplate",)
HYPERLINK = "/hyperlink"
PARAGRAPH = "http://schemas.openxmlformats.org/wordprocessingml/2006/main p"
PACKAGE_RELATIONSHIP = "http://schemas.openxmlformats.org/package/2006/relationships Relationship"


class WordRejected(Exception):
    """The file was refused; `message` says why and how to fix it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _reject(message: str):
    raise WordRejected(message)


def max_upload_size() -> int:
    return settings.MAX_UPLOAD_SIZE


def check_docx(data: bytes) -> list[str]:
    """Refuse anything but a small, plain, unencrypted .docx; return notes on what will be ignored."""
    limit = max_upload_size()
    if not data:
        _reject("The selected file is empty. Choose a Word document (.docx)")
    if len(data) > limit:
        _reject(f"The file is {len(data) / 1048576:.1f} MB. It must be smaller than {limit // 1048576} MB")
    if data.startswith(OLE2_MAGIC):
        _reject(
            "The file is password-protected or encrypted, or is an old Word document (.doc). "
            "Remove the password, save it as a Word document (.docx) and try again"
        )
    kind = filetype.guess(data[:8192])
    if not data.startswith(b"PK\x03\x04") or (kind is not None and kind.extension not in ("docx", "zip")):
        _reject("The selected file is not a Word document (.docx). Save it from Word as a .docx and try again")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        _reject("The file is damaged and cannot be opened. Save it again from Word and try again")
    _check_members(members)
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        _reject("The selected file is not a Word document (.docx). Save it from Word as a .docx and try again")
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, EOFError, NotImplementedError):
        bad = "?"
    if bad:
        _reject("The file is damaged and cannot be opened. Save it again from Word and try again")
    return _scan_xml(archive, members)


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        _reject(f"The document has {len(members)} parts, more than the {MAX_ZIP_MEMBERS} a Word plan needs")
    total = 0
    for member in members:
        name = member.filename
        if member.flag_bits & 0x1:
            _reject("The file is password-protected or encrypted. Remove the password and try again")
        if name.startswith(("/", "\\")) or "\\" in name or ".." in posixpath.normpath(name).split("/"):
            _reject("The file is not a plain Word document: a part of it points outside the document")
        if name.lower().endswith("vbaproject.bin") or name.lower().endswith(".docm"):
            _reject(
                "The document contains macros, which the portal does not accept. "
                "Save it as a Word document without macros (.docx) and try again"
            )
        total += member.file_size
        if member.file_size > 1_000_000 and member.file_size > member.compress_size * MAX_COMPRESSION_RATIO:
            _reject("The file expands to far more than its size (a zip bomb) and was not opened")
        if not name.endswith((".xml", ".rels")) and member.file_size > MAX_MEDIA_SIZE:
            _reject(
                f"The document holds a picture or object of {member.file_size / 1048576:.0f} MB, more than the "
                f"{MAX_MEDIA_SIZE // 1048576} MB allowed. Make it smaller or take it out and try again"
            )
    if total > MAX_UNCOMPRESSED_SIZE:
        _reject(
            f"The document would expand to {total / 1048576:.0f} MB, more than the "
            f"{MAX_UNCOMPRESSED_SIZE // 1048576} MB limit, and was not opened"
        )


@dataclass
class _XmlScan:
    """One expat pass over every XML part: counts elements, refuses DTDs, reads content types and relationships."""

    elements: int = 0
    paragraphs: int = 0
    notes: list[str] = field(default_factory=list)

    def part(self, name: str, raw: bytes) -> None:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        parser.ExternalEntityRefHandler = self._doctype
        parser.StartElementHandler = lambda tag, attrs: self._element(name, tag, attrs)
        try:
            parser.Parse(raw, True)
        except expat.ExpatError:
            _reject("The document is damaged: a part of it is not well-formed. Save it again from Word and try again")

    def _doctype(self, *args):
        _reject("The document contains a document type declaration, which Word never writes, and was not opened")

    def _element(self, part: str, tag: str, attrs: dict) -> None:
        self.elements += 1
        if self.elements > MAX_XML_ELEMENTS:
            _reject(f"The document has more than {MAX_XML_ELEMENTS:,} elements, far more than a plan needs")
        if tag == PARAGRAPH:
            self.paragraphs += 1
            if self.paragraphs > MAX_PARAGRAPHS:
                _reject(f"The document has more than {MAX_PARAGRAPHS:,} paragraphs, far more than a plan needs")
        if part == "[Content_Types].xml":
            content_type = (attrs.get("ContentType") or "").lower()
            if any(word in content_type for word in MACRO_CONTENT_TYPES):
                _reject(
                    "The document contains macros, which the portal does not accept. "
                    "Save it as a Word document without macros (.docx) and try again"
                )
        if tag == PACKAGE_RELATIONSHIP and (attrs.get("TargetMode") or "").lower() == "external":
            kind = (attrs.get("Type") or "").lower()
            if kind.endswith(HYPERLINK):
                return  # a link in the text: kept as a link only if it is to the web (plans.markdown)
            if kind.endswith(IGNORED_EXTERNAL):
                self.notes.append("The document names a template on another computer; it was ignored.")
                return
            _reject(
                "The document refers to a picture, object or file stored outside it (on another computer or "
                "website), which the portal will not fetch. Insert the picture into the document, or remove it, "
                "and try again"
            )


def _scan_xml(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> list[str]:
    scan = _XmlScan()
    for member in members:
        if member.filename.endswith((".xml", ".rels")):
            scan.part(member.filename, archive.read(member))
    return list(dict.fromkeys(scan.notes))


# --- Conversion ---------------------------------------------------------------------------


@dataclass
class Block:
    """One block of the converted document: a heading, a Markdown block, or a table's cells."""

    kind: str  # "heading", "text" or "table"
    text: str = ""  # a heading's text, a text block's Markdown
    level: int = 0  # a heading's level
    rows: list[list[str]] = field(default_factory=list)  # a table's cell texts

    def markdown(self) -> str:
        if self.kind == "heading":
            return f"{'#' * min(self.level + 2, 6)} {self.text}"
        if self.kind == "table":
            return table_markdown(self.rows)
        return self.text


def _drop_image(image) -> dict:
    """mammoth's image handler: never opens the image, so nothing is decoded or fetched."""
    return {"alt": image.alt_text or ""}


def convert(data: bytes) -> tuple[list[Block], list[str]]:
    """The checked document as blocks, with notes for the commissioner (pictures left out, and so on)."""
    notes = check_docx(data)
    result = mammoth.convert_to_html(io.BytesIO(data), convert_image=mammoth.images.img_element(_drop_image))
    parser = _HtmlToBlocks()
    parser.feed(result.value)
    parser.close()
    if parser.images:
        notes.append(
            f"{parser.images} picture{'s were' if parser.images != 1 else ' was'} left out. "
            "Add pictures to an answer as figures after importing."
        )
    return parser.blocks, notes


def html_to_blocks(html: str) -> list[Block]:
    parser = _HtmlToBlocks()
    parser.feed(html)
    parser.close()
    return parser.blocks


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_LIST_LIKE = re.compile(r"^(\s*)([#>+-]|=+$)")


def _escape_inline(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def table_markdown(rows: list[list[str]]) -> str:
    """A Markdown table of the cell texts; the first row is its header."""
    if not rows:
        return ""
    width = max(len(r) for r in rows)

    def line(cells):
        cells = [c.replace("\n", " ").replace("|", "\\|") for c in cells] + [""] * (width - len(cells))
        return "| " + " | ".join(cells) + " |"

    return "\n".join([line(rows[0]), "| " + " | ".join(["---"] * width) + " |", *(line(r) for r in rows[1:])])


class _HtmlToBlocks(HTMLParser):
    """mammoth's HTML (a small, fixed tag set) to Markdown blocks. Unknown tags keep only their text."""

    INLINE = {"strong": "**", "b": "**", "em": "*", "i": "*"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.images = 0
        self._text: list[str] = []  # the inline text being gathered
        self._lists: list[dict] = []  # open lists: {"ordered", "number"}
        self._list_lines: list[str] = []
        self._heading = 0
        self._table: list[list[str]] | None = None
        self._table_depth = 0
        self._cell: list[str] | None = None
        self._href: list[str | None] = []

    # Inline text
    def handle_data(self, data):
        self._text.append(_escape_inline(data))

    def _take_text(self) -> str:
        text = re.sub(r"[ \t]+", " ", "".join(self._text)).strip()
        self._text = []
        return text

    def _add(self, block: Block) -> None:
        if len(self.blocks) >= MAX_BLOCKS:
            raise WordRejected(f"The document has more than {MAX_BLOCKS:,} paragraphs, far more than a plan needs")
        self.blocks.append(block)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images += 1
        elif tag in self.INLINE:
            self._text.append(self.INLINE[tag])
        elif tag == "a":
            href = attrs.get("href") or ""
            self._href.append(href if href.startswith(("http://", "https://", "mailto:")) else None)
            if self._href[-1]:
                self._text.append("[")
        elif tag == "br":
            self._text.append("  \n" if self._table is None else " ")
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6") and self._table is None and not self._lists:
            self._flush_paragraph()
            self._heading = int(tag[1])
        elif tag == "table":
            self._table_depth += 1
            if self._table_depth == 1:
                self._flush_paragraph()
                self._table = []
        elif tag == "tr" and self._table is not None and self._table_depth == 1:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None and self._table_depth == 1:
            self._cell = []
            self._text = []
        elif tag in ("ol", "ul") and self._table is None:
            if not self._lists:
                self._flush_paragraph()
            else:
                self._flush_list_item()
            start = attrs.get("start")
            self._lists.append({"ordered": tag == "ol", "number": int(start) if (start or "").isdigit() else 1})
        elif tag == "li" and self._lists and self._table is None:
            self._flush_list_item()

    def handle_endtag(self, tag):
        if tag in self.INLINE:
            self._text.append(self.INLINE[tag])
        elif tag == "a":
            href = self._href.pop() if self._href else None
            if href:
                self._text.append(f"]({href.replace(')', '%29').replace(' ', '%20')})")
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6") and self._heading:
            text = self._take_text().replace("\\", "")
            if text:
                self._add(Block("heading", text=text, level=self._heading))
            self._heading = 0
        elif tag == "p" and self._table is None and not self._lists:
            self._flush_paragraph()
        elif tag == "p" and self._cell is not None:
            self._text.append("\n")
        elif tag in ("td", "th") and self._cell is not None and self._table:
            self._table[-1].append(self._take_text().replace("\\", ""))
            self._cell = None
        elif tag == "table":
            self._table_depth -= 1
            if self._table_depth == 0 and self._table is not None:
                rows = [r for r in self._table if any(c.strip() for c in r)]
                if sum(len(r) for r in rows) > MAX_TABLE_CELLS:
                    raise WordRejected(f"A table has more than {MAX_TABLE_CELLS:,} cells, far more than a plan needs")
                if rows:
                    self._add(Block("table", rows=rows))
                self._table = None
        elif tag == "li" and self._lists and self._table is None:
            self._flush_list_item()
        elif tag in ("ol", "ul") and self._lists and self._table is None:
            self._flush_list_item()
            self._lists.pop()
            if not self._lists and self._list_lines:
                self._add(Block("text", text="\n".join(self._list_lines)))
                self._list_lines = []

    def _flush_paragraph(self):
        text = self._take_text()
        if text:
            # A paragraph that begins like Markdown syntax stays a paragraph; typed numbering ("2. ") stays a list.
            text = _LIST_LIKE.sub(r"\1\\\2", text)
            self._add(Block("text", text=text))

    def _flush_list_item(self):
        text = self._take_text()
        if not text or not self._lists:
            return
        current = self._lists[-1]
        indent = "".join("    " if lst["ordered"] else "  " for lst in self._lists[:-1])
        if current["ordered"]:
            marker = f"{current['number']}."
            current["number"] += 1
        else:
            marker = "-"
        self._list_lines.append(f"{indent}{marker} {text}")

    def close(self):
        super().close()
        self._flush_paragraph()
        if self._list_lines:
            self._add(Block("text", text="\n".join(self._list_lines)))


# --- Matching to the round's sections ----------------------------------------------------


@dataclass(frozen=True)
class SectionTarget:
    """What a heading may match: one section of the plan's round, its narrative questions and its table."""

    key: str
    heading: str
    number: str = ""
    group_heading: str = ""
    questions: tuple[tuple[str, str], ...] = ()  # (target, label) of each narrative question
    table: str = ""  # "risks" or "documents" when its table may take imported rows


def normalise(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("’", "'")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


_NUMBERING = re.compile(r"^\s*(?:section\s+)?\(?([0-9]{1,2}[a-z]?|[a-z])[.)]\)?\s+|^\s*([0-9]{1,2}[a-z])\s+", re.I)


def _numbering(heading: str) -> tuple[str, str]:
    """A heading's leading number ("1a", "a)", "2.") and the rest of it."""
    match = _NUMBERING.match(heading)
    if not match:
        return "", heading
    return (match.group(1) or match.group(2)).lower(), heading[match.end() :]


@dataclass
class _Match:
    target: str
    table: str
    title: str


class HeadingMatcher:
    """Finds the question or table a heading names, by its text, its numbering and the group it is in."""

    def __init__(self, sections: list[SectionTarget]):
        self.sections = sections
        self.group = ""

    def _of_section(self, section: SectionTarget) -> _Match | None:
        if section.table:
            return _Match(section.table, section.table, section.heading)
        if section.questions:
            target, _ = section.questions[0]
            return _Match(target, "", section.heading)
        return None

    def match(self, heading: str) -> _Match | None:
        number, rest = _numbering(heading)
        whole, text = normalise(heading), normalise(rest)
        # A group heading ("1) Plan details", "Vision") sets where numbered headings that follow look.
        for section in self.sections:
            group = normalise(section.group_heading)
            if group and (whole == group or (not number and normalise(_numbering(section.group_heading)[1]) == text)):
                self.group = section.group_heading
                return None
        for section in self.sections:
            for target, label in section.questions:
                if normalise(label) in (whole, text):
                    return _Match(target, "", label)
        for section in self.sections:
            names = {
                normalise(section.heading),
                normalise(f"{section.number} {section.heading}"),
                normalise(section.key),
            }
            if whole in names or text in names:
                return self._of_section(section)
        if number:
            for section in self.sections:
                if normalise(section.key) == number or (
                    normalise(section.number) == normalise(number)
                    and section.group_heading
                    and (section.group_heading == self.group or normalise(section.group_heading) in whole)
                ):
                    return self._of_section(section)
        # "Vision b)": a group's name then the section's number.
        for section in self.sections:
            if section.number and section.group_heading:
                group = normalise(_numbering(section.group_heading)[1])
                if whole.startswith(f"{group} {normalise(section.number)}".strip()) and group:
                    return self._of_section(section)
        # The template's heading inside a longer one ("Overall approach to integration in Zqxshire").
        for section in self.sections:
            name = normalise(section.heading)
            if len(name) >= 12 and (name in text or (len(text) >= 12 and text in name)):
                return self._of_section(section)
        return None


def split_into_pieces(blocks: list[Block], sections: list[SectionTarget], read_table) -> list[dict]:
    """The document as pieces, each with the target its heading matched ("" for nothing).

    Everything under a matched heading, down to the next heading at its level or above, is one piece
    for that question; a lower heading inside it stays in the answer as a Markdown heading. Under a
    heading that matched nothing, each paragraph is a piece of its own, so each can be placed.
    `read_table(table, rows)` turns a table under a risks or documents heading into rows
    (rows, problems), or None when its columns are not that table's.
    """
    matcher = HeadingMatcher(sections)
    pieces: list[dict] = []
    current: dict | None = None  # the matched piece being gathered
    current_level = 0
    heading = ""
    table = ""

    def add(piece: dict) -> None:
        piece["id"] = len(pieces) + 1
        pieces.append(piece)

    for block in blocks:
        if block.kind == "heading":
            found = matcher.match(block.text)
            if found is None and current is not None and block.level > current_level:
                current["markdown"] += "\n\n" + block.markdown()
                continue
            heading, current, table = block.text, None, ""
            if found is not None:
                current_level = block.level
                table = found.table
                if not found.table:
                    current = {"kind": "text", "heading": heading, "markdown": "", "target": found.target}
                    add(current)
            continue
        if block.kind == "table" and table:
            read = read_table(table, block.rows)
            if read is not None:
                rows, problems = read
                add(
                    {
                        "kind": "rows",
                        "heading": heading,
                        "table": table,
                        "target": table,
                        "rows": rows,
                        "problems": problems,
                        "markdown": block.markdown(),
                    }
                )
                continue
        if current is not None:
            current["markdown"] = (current["markdown"] + "\n\n" + block.markdown()).strip()
        else:
            add({"kind": "text", "heading": heading, "markdown": block.markdown(), "target": ""})
    return [p for p in pieces if p.get("markdown") or p.get("rows")]
