"""Reads for the plan's published documents: everything Part 1 needs, as one plain snapshot.

The snapshot holds only plain values (str, int, bool, date, Decimal, lists and dicts), so the
PDF template renders from it and its JSON form is the content the PDF's hash is taken over.
It is assembled in a fixed number of queries, however many sections, answers and rows a plan has.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch, Sum

from finance.models import ExpenditureAmount, IncomeLine
from metrics.models import MetricAmbition, PlannedValue
from plans.markdown import is_web_link
from plans.models import Answer, ConditionResponse, Plan, RelatedDocument, Risk
from plans.selectors import signoff_slots
from rounds.models import ConditionQuestion, FundingStream, Question, RoundYear, Section
from schemes.models import Scheme

from .compare import SectionDiff, compare_snapshots
from .models import SignoffContent
from .snapshots import plan_content

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


def is_submitted(plan: Plan) -> bool:
    return plan.status in SUBMITTED_STATUSES


def _answer_value(question: Question, answer: Answer | None):
    """The stored answer for the question's kind, or None when nothing has been given."""
    if answer is None:
        return None
    if question.kind in (Question.Kind.NARRATIVE, Question.Kind.TEXT):
        return answer.text if answer.text.strip() else None
    if question.kind == Question.Kind.DATE:
        return answer.date
    if question.kind == Question.Kind.MONEY:
        return answer.money
    return answer.confirmed


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


def _by_year(rows, key_name: str, years: list[dict]) -> dict:
    """{key: {"amounts": [per year, in year order], "total": sum}} from (key, year_id, amount) rows."""
    amounts: dict = defaultdict(dict)
    for row in rows:
        amounts[row[key_name]][row["year_id"]] = row["total"] or Decimal("0")
    return {
        key: {
            "amounts": [per_year.get(year["id"], Decimal("0")) for year in years],
            "total": sum(per_year.values(), Decimal("0")),
        }
        for key, per_year in amounts.items()
    }


def _column_totals(rows: list[dict], years: list[dict]) -> dict:
    amounts = [sum((row["amounts"][i] for row in rows), Decimal("0")) for i in range(len(years))]
    return {"amounts": amounts, "total": sum(amounts, Decimal("0"))}


def _finance_summary(plan: Plan, years: list[dict], schemes: list[dict]) -> dict:
    """Part 2 in brief: income by funding stream and year, expenditure by scheme and by scheme type."""
    streams = list(FundingStream.objects.filter(round_id=plan.round_id).order_by("order"))
    income = _by_year(
        IncomeLine.objects.filter(plan=plan)
        .values("funding_stream_id", "year_id")
        .annotate(total=Sum("amount"))
        .order_by(),
        "funding_stream_id",
        years,
    )
    income_rows = [
        {"label": stream.name, "contributor": stream.get_contributor_display(), **income[stream.pk]}
        for stream in streams
        if stream.pk in income
    ]

    amounts = ExpenditureAmount.objects.filter(line__plan=plan)
    by_scheme = _by_year(
        amounts.values("line__scheme_id", "year_id").annotate(total=Sum("amount")).order_by(),
        "line__scheme_id",
        years,
    )
    scheme_rows = [
        {"label": f"{scheme['reference']} {scheme['name']}".strip(), **by_scheme[scheme["id"]]}
        for scheme in schemes
        if scheme["id"] in by_scheme
    ]

    type_rows_raw = list(
        amounts.values("line__scheme_type_id", "line__scheme_type__label", "line__scheme_type__order", "year_id")
        .annotate(total=Sum("amount"))
        .order_by("line__scheme_type__order", "line__scheme_type__label")
    )
    by_type = _by_year(type_rows_raw, "line__scheme_type_id", years)
    type_labels: dict[int, str] = {}
    for row in type_rows_raw:
        type_labels.setdefault(row["line__scheme_type_id"], row["line__scheme_type__label"])
    type_rows = [{"label": label, **by_type[type_id]} for type_id, label in type_labels.items()]

    return {
        "income": income_rows,
        "income_total": _column_totals(income_rows, years),
        "expenditure_by_scheme": scheme_rows,
        "expenditure_by_type": type_rows,
        "expenditure_total": _column_totals(scheme_rows, years),
        "has_figures": bool(income_rows or scheme_rows),
    }


def part1_document(plan: Plan) -> dict:
    """Everything the Part 1 PDF shows, in the round's template order, as plain values.

    Makes a fixed number of queries (see tests/governance/test_pdf_selector.py).
    """
    plan = Plan.objects.select_related("round", "hwb_area__region").get(pk=plan.pk)
    round_ = plan.round

    sections = list(
        Section.objects.filter(round=round_)
        .select_related("national_condition")
        .prefetch_related(Prefetch("questions", queryset=Question.objects.order_by("order")))
        .order_by("order")
    )
    answers = {answer.question_id: answer for answer in Answer.objects.filter(plan=plan)}
    condition_questions = defaultdict(list)
    for cq in ConditionQuestion.objects.filter(condition__round=round_).order_by("condition__number", "order"):
        condition_questions[cq.condition_id].append(cq)
    responses = {response.question_id: response for response in ConditionResponse.objects.filter(plan=plan)}

    years = [{"id": year.pk, "label": year.label} for year in RoundYear.objects.filter(round=round_).order_by("order")]
    documents = [
        {
            "ref": doc.ref,
            "title": doc.title,
            "synopsis": doc.synopsis,
            "url": doc.url,
            "url_is_link": is_web_link(doc.url),
        }
        for doc in RelatedDocument.objects.filter(plan=plan).order_by("order", "id")
    ]
    schemes = [
        {
            "id": scheme.pk,
            "reference": scheme.reference,
            "name": scheme.name,
            "scheme_type": scheme.scheme_type.label,
            "sub_type": scheme.sub_type.label if scheme.sub_type_id else "",
            "description": scheme.description,
            "lead_commissioner": scheme.lead_commissioner.label,
            "provider": scheme.provider,
            "area_of_spend": scheme.area_of_spend.label,
            "is_new": scheme.is_new,
        }
        for scheme in Scheme.objects.filter(plan=plan)
        .select_related("scheme_type", "sub_type", "lead_commissioner", "area_of_spend")
        .order_by("order", "reference")
    ]
    risks = [
        {
            "description": risk.description,
            "rating": risk.rating.label,
            "mitigating_actions": risk.mitigating_actions,
            "owner": risk.owner,
            "concerns_nhs_providers": risk.concerns_nhs_providers,
        }
        for risk in Risk.objects.filter(plan=plan).select_related("rating").order_by("order", "id")
    ]
    # The organisation is named as the plan's sign-off page names it (plans.selectors.signoff_slots).
    signoff_rows = []
    for row in signoff_slots(plan):
        slot, signoff = row["slot"], row["signature"]
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
    metrics = [
        {
            "name": ambition.metric.name if ambition.metric_id else ambition.local_name,
            "is_local": not ambition.metric_id,
            "unit": ambition.metric.get_unit_display() if ambition.metric_id else ambition.get_local_unit_display(),
            "baseline_value": ambition.baseline_value,
            "baseline_period": ambition.baseline_period,
            "planned": [{"period": pv.period, "value": pv.value} for pv in ambition.planned_values.all()],
            "rationale": ambition.rationale,
        }
        for ambition in MetricAmbition.objects.filter(plan=plan)
        .select_related("metric")
        .prefetch_related(Prefetch("planned_values", queryset=PlannedValue.objects.order_by("order")))
        .order_by("order", "id")
    ]
    finance = _finance_summary(plan, years, schemes)

    last_changes = [plan.updated_at]
    groups: list[dict] = []
    part1_tables = {section.table for section in sections if section.part == 1 and section.table}
    part2_summary: list[dict] = []
    for section in sections:
        if section.part != 1:
            # Part 2 is its own workbook; the PDF carries a summary of its tables after Part 1.
            if section.table and section.table not in part1_tables:
                part2_summary.append(
                    {
                        "key": section.key,
                        "anchor": f"section-{section.key}",
                        "title": section.heading,
                        "table": section.table,
                    }
                )
            continue
        questions = []
        for question in section.questions.all():
            answer = answers.get(question.pk)
            if answer is not None:
                last_changes.append(answer.updated_at)
            questions.append(
                {
                    "key": question.key,
                    "label": question.label,
                    "prompt": question.prompt,
                    "kind": question.kind,
                    "value": _answer_value(question, answer),
                }
            )
        condition = None
        if section.national_condition_id:
            nc = section.national_condition
            condition_rows = []
            for cq in condition_questions.get(nc.pk, []):
                response = responses.get(cq.pk)
                if response is not None:
                    last_changes.append(response.updated_at)
                condition_rows.append(
                    {
                        "number": cq.number,
                        "prompt": cq.prompt,
                        "status": response.get_status_display() if response and response.status else "",
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
        "plan": {
            "id": plan.pk,
            "status": plan.status,
            "status_label": plan.get_status_display(),
            "version": plan.version,
            "is_draft": not is_submitted(plan),
            "last_updated": max(last_changes).date(),
        },
        "area": {"name": plan.hwb_area.name, "ons_code": plan.hwb_area.ons_code, "region": plan.hwb_area.region.name},
        "round": {
            "slug": round_.slug,
            "name": round_.name,
            "years": [year["label"] for year in years],
            "labels": round_.labels,
        },
        "groups": groups,
        "documents": documents,
        "schemes": schemes,
        "risks": risks,
        "signoffs": signoff_rows,
        "metrics": metrics,
        "finance": finance,
        "part2_summary": part2_summary,
    }


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
