"""Reads for the plan's published documents: the Part 1 PDF's content, rendered from the plan's snapshot.

`part1_document` turns the plan's snapshot (governance.snapshots.read_plan_snapshot) into the plain
values the PDF template renders (str, int, bool, date, Decimal, lists and dicts); its JSON form is
the content the PDF's hash is taken over. It makes no queries of its own.
"""

from collections import defaultdict
from decimal import Decimal

from finance.selectors import icb_share_rows
from plans.markdown import is_web_link
from plans.models import Plan
from plans.selectors import slot_rows
from rounds.columns import DOCUMENTS, RISKS, cells
from rounds.models import Question, Section, round_label

from .compare import SectionDiff, compare_snapshots
from .models import SignoffContent
from .snapshots import PlanSnapshot, plan_content

# Once a plan has gone to NHS England the PDF is the published version, not a draft.
SUBMITTED_STATUSES = frozenset(
    {
        Plan.Status.SUBMITTED,
        Plan.Status.IN_ASSURANCE,
        Plan.Status.APPROVED,
        Plan.Status.APPROVED_WITH_CONDITIONS,
        Plan.Status.NOT_APPROVED,
    }
)
SHORT_KINDS = frozenset({Question.Kind.TEXT, Question.Kind.DATE, Question.Kind.MONEY, Question.Kind.CONFIRMATION})
SUMMARY_TABLES = [
    (Section.Table.SCHEMES, "Schemes"),
    (Section.Table.INCOME, "Income to the pooled budget"),
    (Section.Table.EXPENDITURE, "Planned expenditure"),
]
ZERO = Decimal("0")


def is_submitted(plan: Plan) -> bool:
    return plan.status in SUBMITTED_STATUSES


def _question_blocks(questions: list[dict]) -> list[dict]:
    """Runs of short answers become one label/value table; each narrative stands on its own."""
    blocks: list[dict] = []
    for question in questions:
        kind = "table" if question["kind"] in SHORT_KINDS else "narrative"
        if kind == "table" and blocks and blocks[-1]["kind"] == "table":
            blocks[-1]["questions"].append(question)
        elif kind == "table":
            blocks.append({"kind": "table", "questions": [question]})
        else:
            blocks.append({"kind": "narrative", "question": question})
    return blocks


def _by_year(pairs, years: list[str]) -> dict:
    """{key: {"amounts": [per year, in year order], "total": sum}} from (key, {year label: amount}) pairs."""
    amounts: dict = defaultdict(lambda: dict.fromkeys(years, ZERO))
    for key, per_year in pairs:
        if not per_year:
            continue  # a line with no amounts adds no row
        row = amounts[key]
        for year, amount in per_year.items():
            row[year] = row.get(year, ZERO) + amount
    return {
        key: {"amounts": [per_year[y] for y in years], "total": sum(per_year.values(), ZERO)}
        for key, per_year in amounts.items()
    }


def _column_totals(rows: list[dict], years: list[str]) -> dict:
    amounts = [sum((row["amounts"][i] for row in rows), ZERO) for i in range(len(years))]
    return {"amounts": amounts, "total": sum(amounts, ZERO)}


def _finance_summary(snapshot: PlanSnapshot, years: list[str]) -> dict:
    """Part 2 in brief: income by funding stream and year, expenditure by scheme and by scheme type."""
    part = snapshot.part_two
    income = _by_year(((line.funding_stream_id, {line.year.label: line.amount}) for line in part.income_lines), years)
    income_rows = [
        {"label": stream.name, "contributor": stream.contributor_label(snapshot.round_labels), **income[stream.pk]}
        for stream in part.streams
        if stream.pk in income
    ]
    by_scheme = _by_year(((line.scheme_id, part.amounts[line.pk]) for line in part.expenditure_lines), years)
    scheme_rows = [
        {"label": f"{scheme.reference} {scheme.name}".strip(), **by_scheme[scheme.id]}
        for scheme in snapshot.schemes
        if scheme.id in by_scheme
    ]
    by_type = _by_year(((line.scheme_type, part.amounts[line.pk]) for line in part.expenditure_lines), years)
    type_rows = [
        {"label": scheme_type.label, **totals}
        for scheme_type, totals in sorted(by_type.items(), key=lambda item: (item[0].order, item[0].label))
    ]
    # Lines whose scheme type has an output unit: what each year's spend is planned to buy.
    output_rows = [
        {
            "label": f"{line.scheme.reference} {line.scheme.name}".strip(),
            "scheme_type": line.scheme_type.label,
            "sub_type": line.sub_type.label if line.sub_type else "",
            "funding_stream": line.funding_stream.name,
            "unit": line.output_unit,
            "outputs": [part.outputs[line.pk].get(year) for year in years],
        }
        for line in part.expenditure_lines
        if line.output_unit
    ]
    # Jointly commissioned lines: each year's amount and the NHS and local authority shares of it.
    split_rows = [
        {
            "label": f"{line.scheme.reference} {line.scheme.name}".strip(),
            "commissioner": line.commissioner.label,
            "funding_stream": line.funding_stream.name,
            "percent_nhs": line.percent_nhs,
            "percent_la": line.percent_la,
            "amounts": [part.amounts[line.pk].get(year) for year in years],
        }
        for line in part.expenditure_lines
        if line.percent_nhs is not None and line.percent_la is not None
    ]
    return {
        "planned_outputs": output_rows,
        "split_lines": split_rows,
        "split_headings": {
            "nhs": f"% {round_label(snapshot.round_labels, 'contributor_nhs')}",
            "la": f"% {round_label(snapshot.round_labels, 'contributor_la')}",
        },
        "income": income_rows,
        "income_total": _column_totals(income_rows, years),
        "expenditure_by_scheme": scheme_rows,
        "expenditure_by_type": type_rows,
        "expenditure_total": _column_totals(scheme_rows, years),
        "has_figures": bool(income_rows or scheme_rows),
        # The plan's own share beside the ICB's amount; the other areas' shares are not the plan's content.
        "icb_shares": icb_share_rows(part, part.figures),
    }


def _figures(snapshot: PlanSnapshot, section_key: str, question_key: str) -> list[dict]:
    """An answer's figures as the PDF draws them (the file is read when the PDF is rendered)."""
    return [
        {"alt_text": f.alt_text, "caption": f.caption, "file": f.file, "sha256": f.sha256}
        for f in snapshot.figures_of(section_key, question_key)
    ]


def part1_document(snapshot: PlanSnapshot, *, public: bool = False) -> dict:
    """Everything the Part 1 PDF shows, in the round's template order, as plain values (no queries).

    `public` is the open data rendering: no personal data, so the sign-off rows keep each slot's
    role, organisation and date but not who signed, their position or the delegation details.
    """
    plan = snapshot.plan
    part = snapshot.part_two
    years = part.year_labels
    conditions = {condition.pk: condition for condition in part.conditions}
    responses = part.condition_responses

    documents = [
        {
            "ref": doc.ref,
            "title": doc.title,
            "synopsis": doc.synopsis,
            "url": doc.url,
            "url_is_link": is_web_link(doc.url),
            "cells": cells(snapshot.document_columns, DOCUMENTS, doc, part.code_labels),
        }
        for doc in snapshot.documents
    ]
    schemes = [
        {
            "id": scheme.id,
            "reference": scheme.reference,
            "name": scheme.name,
            "scheme_type": scheme.scheme_type.label,
            "sub_type": scheme.sub_type.label if scheme.sub_type else "",
            "description": scheme.description,
            "lead_commissioner": scheme.lead_commissioner.label,
            "provider": scheme.provider,
            "area_of_spend": scheme.area_of_spend.label,
            "is_new": scheme.is_new,
        }
        for scheme in snapshot.schemes
    ]
    risks = [
        {
            "description": risk.description,
            "rating": risk.rating.label if risk.rating else "",
            "mitigating_actions": risk.mitigating_actions,
            "owner": risk.owner,
            "cells": cells(part.risk_columns, RISKS, risk, part.code_labels),
        }
        for risk in part.risks
    ]
    # The organisation is named as the plan's sign-off page names it (plans.selectors.signoff_slots).
    signoff_rows = []
    signatures = {signature.slot_id: signature for signature in snapshot.signatures}
    for row in slot_rows(snapshot.slots, snapshot.organisations, signatures, area_name=plan.area_name):
        slot, signoff = row["slot"], row["signature"]
        if public:
            signoff_rows.append(
                {
                    "title": slot.title,
                    "signed": signoff is not None,
                    "organisation": row["organisation"],
                    "date": signoff.signed_on if signoff else None,
                }
            )
            continue
        signoff_rows.append(
            {
                "title": slot.title,
                "by_label": slot.by_label,
                "has_position": slot.has_position,
                "signed": signoff is not None,
                "organisation": row["organisation"],
                "by": signoff.signatory_name if signoff else "",
                # A slot that asks for no position (the board's chair) names it in its label.
                "position": signoff.position if signoff and slot.has_position else slot.named_position,
                "date": signoff.signed_on if signoff else None,
                "under_delegation": bool(signoff and signoff.under_delegation),
                "delegating_body": signoff.delegating_body if signoff else "",
                "delegation_date": signoff.delegation_date if signoff else None,
                "delegation_minute_ref": signoff.delegation_minute_ref if signoff else "",
            }
        )
    metrics = []
    for ambition in part.ambitions:
        shown = ambition.shown_in  # each figure in its metric's own unit (rounds.units)
        baseline = shown.figure(ambition.baseline_value, ambition.baseline_numerator, ambition.baseline_denominator)
        metrics.append(
            {
                "name": ambition.name,
                "is_local": ambition.metric is None,
                "unit": ambition.unit_label,
                "polarity": shown.polarity_label,
                "baseline_value": baseline,
                "baseline_shown": shown.format(baseline),
                "baseline_period": ambition.baseline_period,
                "planned": [
                    {
                        "period": pv.period,
                        "value": shown.figure(pv.value, pv.numerator, pv.denominator),
                        "shown": shown.format(shown.figure(pv.value, pv.numerator, pv.denominator)),
                    }
                    for pv in part.planned[ambition.pk]
                ],
                "rationale": ambition.rationale,
            }
        )

    last_changes = [plan.updated_at]
    groups: list[dict] = []
    part1_tables = {row.section.table for row in snapshot.sections if row.section.part == 1 and row.section.table}
    part2_summary: list[dict] = []
    for row in snapshot.sections:
        section = row.section
        if section.part != 1:
            # Part 2 is its own workbook; the PDF carries a summary of its tables after Part 1.
            if section.table and section.table not in part1_tables:
                part2_summary.append(
                    {
                        "key": section.key,
                        "anchor": f"section-{section.key}",
                        "title": section.heading,
                        "table": section.table,
                        # A Part 2 table's own questions (capacity and demand's assumptions) follow it.
                        "answers": [
                            {
                                "label": a.question.label,
                                "kind": a.question.kind,
                                "value": a.value,
                                "figures": _figures(snapshot, section.key, a.question.key),
                            }
                            for a in row.answers
                            if a.answered
                        ],
                    }
                )
            continue
        if section.front_matter and not any(answer.answered for answer in row.answers):
            continue  # optional opening matter appears only when the area wrote it
        questions = []
        for answer in row.answers:
            if answer.updated_at is not None:
                last_changes.append(answer.updated_at)
            question = answer.question
            questions.append(
                {
                    "key": question.key,
                    "label": question.label,
                    "prompt": question.prompt,
                    "kind": question.kind,
                    "value": answer.value if answer.answered else None,
                    # An aligned plan's shared text, with the plan's own answer as its local addendum.
                    "shared": answer.shared if answer.shared and answer.shared.strip() else None,
                    "group_name": snapshot.group_name,
                    "figures": _figures(snapshot, section.key, question.key),
                }
            )
        condition = None
        if section.national_condition_id:
            nc = conditions[section.national_condition_id]
            condition_rows = []
            for cq in nc.questions.all():
                response = responses.get(cq.pk)
                if response is not None:
                    last_changes.append(response.updated_at)
                condition_rows.append(
                    {
                        "number": cq.number,
                        "prompt": cq.prompt,
                        "status": response.status_label if response else "",
                        "target_date": response.target_date if response else None,
                        "narrative": response.narrative if response else "",
                    }
                )
            condition = {
                "number": nc.number,
                "title": nc.title,
                "description": nc.description,
                "questions": condition_rows,
            }
        group_heading = section.group_heading or ""
        if not groups or groups[-1]["heading"] != group_heading:
            groups.append({"heading": group_heading, "anchor": f"group-{len(groups) + 1}", "sections": []})
        groups[-1]["sections"].append(
            {
                "key": section.key,
                "anchor": f"section-{section.key}",
                "number": section.number,
                "heading": section.heading,
                "title": section.title,
                "prompt": section.prompt,
                "guidance": section.guidance,
                "table": section.table,
                "blocks": _question_blocks(questions),
                "condition": condition,
            }
        )

    # Schemes and the pooled budget always appear, even in a round whose template has no place for them.
    summarised = part1_tables | {entry["table"] for entry in part2_summary}
    for table, title in SUMMARY_TABLES:
        if table not in summarised:
            part2_summary.append({"key": table, "anchor": f"part2-{table}", "title": title, "table": table})
    return {
        "public": public,
        "plan": {
            "id": plan.id,
            "status": plan.status,
            "status_label": plan.status_label,
            "version": plan.version,
            "is_draft": not is_submitted(plan),
            "last_updated": max(last_changes).date(),
        },
        "area": {"name": plan.area_name, "ons_code": plan.ons_code, "region": snapshot.region_name},
        "round": {
            "slug": plan.round_slug,
            "name": plan.round_name,
            "years": years,
            "labels": snapshot.round_labels,
            # The phase's name (Plan, 2024/25 planning update) when the round has phases.
            "phase": snapshot.phase.name if snapshot.phase else "",
        },
        "groups": groups,
        "documents": documents,
        "document_columns": snapshot.document_columns,
        "risk_columns": part.risk_columns,
        "schemes": schemes,
        "risks": risks,
        "signoffs": signoff_rows,
        "metrics": metrics,
        "capacity_demand": _capacity_pages(part.capacity_demand),
        "finance": _finance_summary(snapshot, years),
        "part2_summary": part2_summary,
    }


# A4 portrait fits this many months beside the service types; a longer table is printed in parts.
CAPACITY_PERIODS_PER_TABLE = 6


def _capacity_pages(tables) -> dict | None:
    """The capacity and demand table for the PDF: each block in parts of a few periods, the last part
    with the totals per service type."""
    if tables is None:
        return None
    step = CAPACITY_PERIODS_PER_TABLE
    count = len(tables.periods)
    blocks = []
    for b in tables.blocks:
        parts = []
        for start in range(0, count, step):
            end = min(start + step, count)
            parts.append(
                {
                    "periods": tables.periods[start:end],
                    "last": end == count,
                    "rows": [{"row": r.row, "cells": r.cells[start:end], "total": r.total} for r in b.rows],
                    "period_totals": b.period_totals[start:end],
                    "total": b.total,
                }
            )
        blocks.append({"block": b.block, "parts": parts})
    return {"definition": tables.definition, "blocks": blocks}


def changes_since_seen(plan: Plan, seen_content_hash: str) -> list[SectionDiff] | None:
    """The sections that changed since a signatory was shown the content with this hash.

    None when that content was never sent for sign-off, so what changed cannot be shown.
    """
    seen = (
        SignoffContent.objects.filter(plan=plan, content_hash=seen_content_hash)
        .values_list("content", flat=True)
        .first()
    )
    if seen is None:
        return None
    diffs = compare_snapshots({"content": seen}, {"content": plan_content(plan)})
    return [diff for diff in diffs if diff.changed]
