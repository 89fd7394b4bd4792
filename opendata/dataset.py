"""The open dataset of a published round: governance's national dataset of its published plans only,
with a "Published plans" sheet and the data dictionary, as .xlsx; and the same sheets as a zip of CSVs.

The CSVs are read back from the workbook, so both downloads always hold the same figures. No column
names a person: the national dataset's sheets carry areas, lines and figures, never who wrote,
signed or submitted them. Built once per published state and kept in the cache, so a busy public
page does not rebuild the country's dataset for every visitor.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import load_workbook

from governance.dataset import ExtraSheet, national_dataset
from rounds.models import PlanningRound

from .dictionary import PUBLISHED_PLAN_HEADERS, DataDictionary, data_dictionary
from .selectors import PublishedPlan

CACHE_SECONDS = 15 * 60
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _local(moment: datetime | None) -> datetime | None:
    # openpyxl cannot write an aware datetime; the portal's pages show UK time.
    return timezone.localtime(moment).replace(tzinfo=None) if moment is not None else None


def _published_plans_sheet(published: list[PublishedPlan], pdf_url: Callable[[PublishedPlan], str]) -> ExtraSheet:
    rows = [
        [
            p.plan.hwb_area.region.name,
            p.plan.hwb_area.ons_code,
            p.plan.hwb_area.name,
            p.plan.version,
            p.plan.get_status_display(),
            _local(p.approved_at),
            _local(p.submission.submitted_at),
            pdf_url(p),
            p.submission.pdf_sha256,
        ]
        for p in published
    ]
    return ExtraSheet("Published plans", PUBLISHED_PLAN_HEADERS, rows)


def _dictionary_sheet(dictionary: DataDictionary) -> ExtraSheet:
    return ExtraSheet("Data dictionary", list(DataDictionary.HEADERS), dictionary.rows())


def _cache_key(planning_round: PlanningRound, published: list[PublishedPlan], kind: str) -> str:
    # Changes whenever a plan is approved or reopened, the round's configuration changes or it is republished.
    state = [str(planning_round.config_version), str(planning_round.publication.published_at)]
    state += [f"{p.plan.pk}:{p.plan.status}:{p.submission.pk}:{p.approved_at}" for p in published]
    digest = hashlib.sha256("|".join(state).encode()).hexdigest()
    return f"opendata:{kind}:{planning_round.pk}:{digest}"


def open_dataset_xlsx(
    planning_round: PlanningRound, published: list[PublishedPlan], pdf_url: Callable[[PublishedPlan], str]
) -> bytes:
    key = _cache_key(planning_round, published, "xlsx")
    data = cache.get(key)
    if data is None:
        extra = [_published_plans_sheet(published, pdf_url), _dictionary_sheet(data_dictionary(planning_round))]
        data = national_dataset(planning_round, extra_sheets=extra, plans=[p.plan for p in published])
        cache.set(key, data, CACHE_SECONDS)
    return data


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Read back from the workbook as a float: write it as the decimal it was (1000.5, not 1000.5000001).
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        # A spreadsheet opening the CSV would run typed text as a formula (OWASP "CSV injection").
        return "'" + text
    return text


def open_dataset_csv_zip(
    planning_round: PlanningRound, published: list[PublishedPlan], pdf_url: Callable[[PublishedPlan], str]
) -> bytes:
    """One CSV per sheet of the workbook (income.csv, expenditure.csv, metrics.csv, …), UTF-8, in a zip."""
    key = _cache_key(planning_round, published, "csv")
    data = cache.get(key)
    if data is not None:
        return data
    workbook = load_workbook(io.BytesIO(open_dataset_xlsx(planning_round, published, pdf_url)), read_only=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for sheet in workbook.worksheets:
            text = io.StringIO()
            writer = csv.writer(text)
            for row in sheet.iter_rows(values_only=True):
                writer.writerow([_csv_value(v) for v in row])
            archive.writestr(f"{slugify(sheet.title)}.csv", text.getvalue())
    workbook.close()
    data = buffer.getvalue()
    cache.set(key, data, CACHE_SECONDS)
    return data
