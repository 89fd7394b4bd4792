"""The open dataset's data dictionary, generated from the round's configuration (rounds.config).

What each column of each sheet means, and every funding stream, code list value, metric (with its
unit) and year the round defines: the same rows on the HTML page, in the xlsx's "Data dictionary"
sheet and in the CSV zip's data-dictionary.csv.
"""

from __future__ import annotations

from dataclasses import dataclass

from rounds.config import round_config
from rounds.models import CodeListEntry, PlanningRound

PLAN_COLUMNS = {
    "Region": "The NHS England region the Health and Wellbeing Board (HWB) area is in.",
    "ONS code": "The HWB area's Office for National Statistics code.",
    "HWB area": "The Health and Wellbeing Board area whose plan the row belongs to.",
    "Plan version": "The version of the plan that was approved (a plan reopened for changes gets a new version).",
    "Plan status": "The plan's assurance outcome: Approved, or Approved with conditions.",
}
INCOME_COLUMNS = {
    "Funding stream": "The funding stream the money comes from (see Funding streams below).",
    "Contributor": "Who pays the stream into the pooled budget.",
    "Organisation": "The organisation contributing the money.",
    "Year": "The financial year of the amount.",
    "Amount (£)": "The amount contributed in that year, in pounds. The last row is the total of the sheet.",
    "Note": "The area's own note on the line, as written in the plan.",
}
ICB_COLUMNS = {
    "ICB": "An Integrated Care Board whose allocation is shared between several HWB areas.",
    "ODS code": "The ICB's Organisation Data Service code.",
    "Funding stream": "The funding stream of the allocation.",
    "Year": "The financial year of the allocation.",
    "ICB allocation (£)": "The ICB's published allocation for the stream and year, in pounds.",
    "HWB areas sharing it": "The HWB areas the allocation is shared between.",
    "Shares in submitted plans (£)": "The shares of the allocation recorded as income in the published plans.",
    "Not shared out (£)": "The allocation less the shares recorded in the published plans.",
}
EXPENDITURE_COLUMNS = {
    "Scheme reference": "The area's reference for the scheme the line belongs to.",
    "Scheme name": "The scheme's name, as written in the plan.",
    "Scheme type": "The national scheme type of the line (see Scheme type below).",
    "Area of spend": "What the money is spent on (see Area of spend below).",
    "Commissioner": "Who commissions the service (see Commissioner below).",
    "Provider": "The type of provider delivering the service (see Provider type below).",
    "Funding stream": "The funding stream the line is paid from.",
    "% NHS": "For a jointly commissioned line, the percentage the NHS commissions.",
    "% LA": "For a jointly commissioned line, the percentage the local authority commissions.",
    "New scheme": "Yes if the scheme is new in this plan.",
    "Total (£)": "The line's spend over all the round's years, in pounds. The last row is the total of the sheet.",
    "Scheme sub-type": "The scheme type's sub-type, where the type has them.",
    "Output unit": "The unit the scheme type's planned outputs are counted in.",
}
METRIC_COLUMNS = {
    "Metric": "The metric's name (see Metrics below); an area's own local metric has the name it gave it.",
    "National metric key": "The national metric's key; blank for a local metric.",
    "Unit": "The metric's unit: how its value is worked out and shown.",
    "Baseline period": "The period of the baseline value.",
    "Baseline value": "The baseline, in the metric's unit.",
    "Baseline numerator": "The baseline's numerator, where the metric is a rate or a percentage.",
    "Baseline denominator": "The baseline's denominator, where the metric is a rate or a percentage.",
    "Planned period": "The period of the planned value (one row per period).",
    "Planned value": "The area's ambition for the period, in the metric's unit.",
    "Planned numerator": "The planned numerator, where the metric is a rate or a percentage.",
    "Planned denominator": "The planned denominator, where the metric is a rate or a percentage.",
}
PUBLISHED_PLAN_COLUMNS = {
    "Approved on": "When the plan's assurance outcome was recorded (UK time).",
    "Submitted on": "When the approved version of the plan was submitted (UK time).",
    "Part 1 PDF": "Where to download the plan's Part 1 as it was submitted and approved.",
    "Part 1 PDF SHA-256": "The SHA-256 checksum of the Part 1 PDF, to check a downloaded copy.",
}
PUBLISHED_PLAN_HEADERS = list(PLAN_COLUMNS) + list(PUBLISHED_PLAN_COLUMNS)

CODE_LISTS = (
    CodeListEntry.List.SCHEME_TYPE,
    CodeListEntry.List.SCHEME_SUBTYPE,
    CodeListEntry.List.AREA_OF_SPEND,
    CodeListEntry.List.COMMISSIONER,
    CodeListEntry.List.PROVIDER,
)


@dataclass(frozen=True)
class Entry:
    """One row of the dictionary: what kind of thing it is, its name, its code and what it means."""

    section: str
    name: str
    code: str
    meaning: str


@dataclass(frozen=True)
class DataDictionary:
    columns: list[Entry]  # section is the sheet (the CSV file) the column is in
    years: list[Entry]
    funding_streams: list[Entry]
    code_lists: list[tuple[str, list[Entry]]]
    metrics: list[Entry]

    HEADERS = ("Section", "Name", "Code", "Meaning")

    def rows(self) -> list[list[str]]:
        entries = [*self.columns, *self.years, *self.funding_streams]
        entries += [e for _, listed in self.code_lists for e in listed] + self.metrics
        return [[e.section, e.name, e.code, e.meaning] for e in entries]


def _columns(sheet: str, meanings: dict[str, str]) -> list[Entry]:
    return [Entry(sheet, name, "", meaning) for name, meaning in meanings.items()]


def data_dictionary(planning_round: PlanningRound) -> DataDictionary:
    config = round_config(planning_round.pk, planning_round.config_version)
    labels = planning_round.labels

    money_by_year = {f"{y.label} (£)": f"The line's spend in {y.label}, in pounds." for y in config.years}
    outputs_by_year = {f"Planned output {y.label}": f"The line's planned output in {y.label}." for y in config.years}
    expenditure = dict(list(EXPENDITURE_COLUMNS.items())[:10]) | money_by_year
    expenditure |= dict(list(EXPENDITURE_COLUMNS.items())[10:]) | outputs_by_year
    columns = _columns("Income", PLAN_COLUMNS | INCOME_COLUMNS)
    if any(config.icb_allocations.values()):
        columns += _columns("ICB allocations", ICB_COLUMNS)
    columns += _columns("Expenditure", PLAN_COLUMNS | expenditure)
    columns += _columns("Metrics", PLAN_COLUMNS | METRIC_COLUMNS)
    columns += _columns("Published plans", PLAN_COLUMNS | PUBLISHED_PLAN_COLUMNS)

    streams = [
        Entry(
            "Funding stream",
            s.name,
            s.key,
            f"Paid in by: {s.contributor_label(labels)}. "
            + ("Part of the minimum pooled budget." if s.is_mandatory else "Additional to the minimum pooled budget."),
        )
        for s in config.streams
    ]
    code_lists = []
    for code_list in CODE_LISTS:
        entries = []
        for e in config.codes.get(code_list, []):
            meaning = ""
            if e.parent_id:
                parent = config.code_by_id.get(e.parent_id)
                meaning = f"A sub-type of {parent.label}." if parent else ""
            if e.output_unit is not None:
                meaning = f"Planned outputs counted in {e.output_unit.label}."
            entries.append(Entry(code_list.label, e.label, e.code, meaning))
        if entries:
            code_lists.append((code_list.label, entries))
    metrics = [_metric_entry(m) for m in config.metrics]
    years = [Entry("Year", y.label, "", "A financial year the round covers.") for y in config.years]
    return DataDictionary(columns, years, streams, code_lists, metrics)


def _metric_entry(metric) -> Entry:
    parts = [metric.definition.strip(), f"Unit: {metric.get_unit_display()}."]
    if metric.numerator:
        parts.append(f"Numerator: {metric.numerator}.")
    if metric.denominator:
        parts.append(f"Denominator: {metric.denominator}.")
    if metric.periods:
        parts.append(f"Planned periods: {', '.join(str(p) for p in metric.periods)}.")
    return Entry("Metric", metric.name, metric.key, " ".join(p for p in parts if p))
