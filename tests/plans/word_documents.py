"""Word documents for the import tests, built with python-docx in the national template's headings,
and hostile variants of them made by rewriting the package's parts."""

from __future__ import annotations

import io
import zipfile

import docx

APPROACH = "Our approach joins health and care teams in every neighbourhood."
UNPLACED = "We will also publish a yearly report for residents."
RISK_ROWS = [
    ["Workforce gaps in home care", "3", "4", "Joint recruitment campaign", "Director of Adult Services"],
    ["Winter pressures exceed capacity", "4", "5", "Surge plan agreed with the trust", "ICB Director of Operations"],
]
DOCUMENT_ROWS = [["Joint Health and Wellbeing Strategy", "The strategy the plan delivers", "https://example.org/jhws"]]


def national_template_2025() -> bytes:
    """A filled-in 2025-26 plan: headings as in the national template, a numbered list, two tables."""
    document = docx.Document()
    document.add_heading("Plan", 1)
    document.add_heading("Overall approach", 2)
    document.add_paragraph(APPROACH)
    document.add_paragraph("Integrated neighbourhood teams", style="List Number")
    document.add_paragraph("One assessment for each person", style="List Number")
    document.add_heading("Objective 1: the shift from sickness to prevention", 2)
    document.add_paragraph("Prevention is **first**.")
    document.add_paragraph("2. Falls prevention in every care home")
    document.add_paragraph("3. Social prescribing")
    document.add_heading("Supporting unpaid carers", 2)
    document.add_paragraph("Carers get a break through the respite service.")
    document.add_heading("Risks and mitigations", 2)
    table = document.add_table(rows=1, cols=5)
    for cell, text in zip(
        table.rows[0].cells, ["Risk", "Likelihood", "Impact", "Mitigating actions", "Risk owner"], strict=True
    ):
        cell.text = text
    for values in RISK_ROWS:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    document.add_heading("Local notes", 1)
    document.add_paragraph(UNPLACED)
    document.add_heading("Supporting documents", 2)
    table = document.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ["Document", "Summary and link", "Link"], strict=True):
        cell.text = text
    for values in DOCUMENT_ROWS:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def rewritten(data: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The package with some parts replaced or added (stored as given)."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, replace.get(item.filename, source.read(item.filename)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)
