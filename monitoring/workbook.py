"""A return as an xlsx workbook.

Replaced by the workbook branch: this is only a minimal real openpyxl rendering of the return's
content, so that a submission stores a workbook with its hash until that branch lands.
"""

import io

from openpyxl import Workbook

from . import selectors
from .models import Return


def return_workbook_bytes(ret: Return) -> bytes:
    content = selectors.return_content(ret)
    book = Workbook()
    sheet = book.active
    sheet.title = "Income and expenditure"
    sheet.append(
        ["Kind", "Line", "Detail", "Planned for the year", "Planned to period end", "Actual", "Forecast", "Explanation"]
    )
    for x in content["lines"]:
        sheet.append(
            [
                x["kind"],
                x["label"],
                x["detail"],
                float(x["planned_year"]),
                float(x["planned"]),
                None if x["actual"] is None else float(x["actual"]),
                None if x["forecast"] is None else float(x["forecast"]),
                x["explanation"],
            ]
        )
    metrics = book.create_sheet("Metrics")
    metrics.append(["Metric", "Unit", "Ambition", "Actual", "On track", "Reason"])
    for m in content["metrics"]:
        metrics.append([m["name"], m["unit"], m["ambition"], m["actual"], m["on_track"], m["reason"]])
    conditions = book.create_sheet("National conditions")
    conditions.append(["Number", "Condition", "Met", "Expected date", "Explanation"])
    for c in content["conditions"]:
        conditions.append([c["number"], c["title"], c["met"], c["expected_date"], c["explanation"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
