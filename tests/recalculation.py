"""Recalculating a workbook in LibreOffice headless, as a user opening it would, and reading what it shows."""

import subprocess
from pathlib import Path

import openpyxl


def recalculate_with_libreoffice(data: bytes, tmp_path: Path) -> openpyxl.Workbook:
    """Open the workbook in LibreOffice headless (which recalculates on load) and read the cached values."""
    src = tmp_path / "in" / "plan.xlsx"
    src.parent.mkdir()
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
    return openpyxl.load_workbook(out / "plan.xlsx", data_only=True)


def error_cells(wb: openpyxl.Workbook) -> list[str]:
    """Every cell that shows an error after recalculation (#VALUE!, #REF!, Err:522 for a circular reference…)."""
    return [
        f"{ws.title}!{cell.coordinate}: {cell.value}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "e" or (isinstance(cell.value, str) and cell.value.startswith(("#", "Err:")))
    ]
