"""Recalculating a workbook in LibreOffice headless, as a user opening it would, and reading what it shows."""

import io
import subprocess
from pathlib import Path

import openpyxl


def saved_by_libreoffice(data: bytes, tmp_path: Path) -> bytes:
    """The workbook opened in LibreOffice headless (which recalculates on load) and saved again as .xlsx."""
    src = tmp_path / "in" / "plan.xlsx"
    src.parent.mkdir(exist_ok=True)
    src.write_bytes(data)
    out = tmp_path / "out"
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (out / "plan.xlsx").read_bytes()


def recalculate_with_libreoffice(data: bytes, tmp_path: Path) -> openpyxl.Workbook:
    """The workbook as LibreOffice recalculates it, with the values it shows."""
    return openpyxl.load_workbook(io.BytesIO(saved_by_libreoffice(data, tmp_path)), data_only=True)


def error_cells(wb: openpyxl.Workbook) -> list[str]:
    """Every cell that shows an error after recalculation (#VALUE!, #REF!, Err:522 for a circular reference…)."""
    return [
        f"{ws.title}!{cell.coordinate}: {cell.value}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "e" or (isinstance(cell.value, str) and cell.value.startswith(("#", "Err:")))
    ]
