"""Reads of monitoring returns: the scoped getter, variances, what is missing, and the content signatures bind to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404

from accounts.models import User
from governance.snapshots import canonical_json, sha256_hex
from plans.models import Plan
from rounds.models import ReturnPart, ReturnPeriod, ReturnQuestion, ReturnTemplate

from . import permissions
from .models import Return, ReturnAnswer, ReturnCondition, ReturnLine, ReturnMetric, ReturnPartProgress

Q = ReturnQuestion.Kind


def returns_for_user(user: User) -> QuerySet[Return]:
    """Every return the user may read ("monitoring.view_return"), as a queryset."""
    scope = permissions.readable_returns_filter(user)
    return Return.objects.all() if scope is None else Return.objects.filter(scope)


def get_return_for_user(user: User, *, round_slug: str, ons_code: str, period_key: str) -> Return:
    """The one scoped getter for a return: 404 for anything outside the user's reach."""
    ret = (
        returns_for_user(user)
        .select_related("plan__round", "plan__hwb_area__region", "period__year", "approved_submission")
        .filter(plan__round__slug=round_slug, plan__hwb_area__ons_code=ons_code, period__key=period_key)
        .first()
    )
    if ret is None:
        raise Http404("No such return")
    return ret


def template_for(ret: Return) -> ReturnTemplate:
    return ReturnTemplate.objects.get(round_id=ret.plan.round_id)


def variance_percent(planned: Decimal, actual: Decimal | None) -> Decimal | None:
    """How far the actual is from the planned amount, as a signed percentage (None until there is an actual)."""
    if actual is None:
        return None
    if planned == 0:
        return Decimal(0) if actual == 0 else None
    return ((actual - planned) / planned * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def needs_explanation(line: ReturnLine, threshold: Decimal) -> bool:
    """A line whose actual is beyond the round's variance threshold (or any spend against nothing planned)."""
    if line.actual is None:
        return False
    variance = variance_percent(line.planned, line.actual)
    return variance is None or abs(variance) > threshold


@dataclass(frozen=True)
class Problem:
    """Something that stops a part of the return being completed, with the field it is about."""

    part: str  # the ReturnPart key
    field: str  # e.g. "line-12-explanation", "condition-3-met", "question-progress"
    message: str


def line_names(lines: list[ReturnLine]) -> dict[int, str]:
    """Each line's name for messages: its label, with its detail where another line has the same label
    (a scheme split across funding streams)."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.label] = counts.get(line.label, 0) + 1
    return {line.pk: line.label if counts[line.label] == 1 else f"{line.label} ({line.detail})" for line in lines}


def part_problems(ret: Return, part: ReturnPart, *, threshold: Decimal) -> list[Problem]:
    """What must still be answered in one part before it can be marked completed."""
    problems: list[Problem] = []
    add = lambda field, message: problems.append(Problem(part.key, field, message))  # noqa: E731
    if part.reports_on == ReturnPart.ReportsOn.FINANCE:
        lines = list(ret.lines.all())
        names = line_names(lines)
        for line in lines:
            name, label = f"line-{line.pk}", names[line.pk]
            if line.actual is None:
                add(f"{name}-actual", f"Enter the actual amount for {label}")
            if line.forecast is None:
                add(f"{name}-forecast", f"Enter the forecast for the year for {label}")
            if needs_explanation(line, threshold) and not line.explanation.strip():
                add(
                    f"{name}-explanation",
                    f"Explain why the actual for {label} is more than {threshold.normalize():f}% away from plan",
                )
    elif part.reports_on == ReturnPart.ReportsOn.CONDITIONS:
        for c in ret.conditions.all():
            name = f"condition-{c.number}"
            if c.met is None:
                add(f"{name}-met", f"Say whether national condition {c.number} is still met")
            elif c.met is False:
                if c.expected_date is None:
                    add(f"{name}-expected_date", f"Enter the date national condition {c.number} will be met")
                if not c.explanation.strip():
                    add(f"{name}-explanation", f"Explain why national condition {c.number} is not met")
    elif part.reports_on == ReturnPart.ReportsOn.METRICS:
        for m in ret.metrics.all():
            name = f"metric-{m.pk}"
            if m.on_track is None:
                add(f"{name}-on_track", f"Say whether {m.name} is on track")
            elif m.on_track is False and not m.reason.strip():
                add(f"{name}-reason", f"Give the reason {m.name} is not on track")
    else:
        answers = {a.question_id: a for a in ret.answers.all()}
        for q in part.questions.all():
            a = answers.get(q.pk)
            name = f"question-{q.key}"
            if q.kind == Q.NARRATIVE and not (a and a.text.strip()):
                add(name, f"Answer: {q.prompt}")
            elif q.kind == Q.CONFIRM and not (a and a.yes):
                add(name, f"Confirm: {q.prompt}")
            elif q.kind == Q.YES_NO:
                if a is None or a.yes is None:
                    add(name, f"Answer yes or no: {q.prompt}")
                elif a.yes is False:
                    if a.date is None:
                        add(f"{name}-date", "Enter the date it will be in place")
                    if not a.text.strip():
                        add(f"{name}-text", "Explain why it is not in place")
    return problems


def _read_rows(ret: Return) -> list[ReturnPart]:
    """Read the return's rows and its round's parts once for this `ret` object (a page asks several
    questions of them: its problems, its task statuses); returns the parts in order."""
    prefetch_related_objects([ret], "lines", "metrics", "conditions", "answers__question", "progress__part")
    if not hasattr(ret, "_parts"):
        ret._parts = list(
            ReturnPart.objects.filter(round_id=ret.plan.round_id).prefetch_related("questions").order_by("order")
        )
    return ret._parts


def return_problems(ret: Return) -> dict[str, list[Problem]]:
    """Every part's problems, by part key (an empty list: the part can be completed)."""
    parts = _read_rows(ret)
    threshold = template_for(ret).variance_percent
    return {part.key: part_problems(ret, part, threshold=threshold) for part in parts}


def task_list(ret: Return) -> list[dict]:
    """The return's parts in order, each with its GOV.UK task status."""
    parts = _read_rows(ret)
    completed = {p.part.key for p in ret.progress.all() if p.completed}
    touched = _touched_parts(ret, parts)
    rows = []
    for part in parts:
        status = "completed" if part.key in completed else "in_progress" if part.key in touched else "not_started"
        rows.append({"part": part, "status": status})
    return rows


def _touched_parts(ret: Return, parts: list[ReturnPart]) -> set[str]:
    """The parts someone has changed anything in (a pre-filled row counts once it has been saved)."""
    by_kind = {p.reports_on: p.key for p in parts}
    touched = {p.question.part_id for p in ret.answers.all()}
    touched = {p.key for p in parts if p.pk in touched}
    for kind, rows in (
        (ReturnPart.ReportsOn.FINANCE, ret.lines.all()),
        (ReturnPart.ReportsOn.METRICS, ret.metrics.all()),
        (ReturnPart.ReportsOn.CONDITIONS, ret.conditions.all()),
    ):
        if kind in by_kind and any(row.version > 1 for row in rows):
            touched.add(by_kind[kind])
    return touched


def _plain(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat()


def return_content(ret: Return) -> dict:
    """The return's content as JSON types: what its signatures bind to and its submission stores."""
    lines = ReturnLine.objects.filter(ret=ret).order_by("kind", "order")
    metrics = ReturnMetric.objects.filter(ret=ret).order_by("order")
    conditions = ReturnCondition.objects.filter(ret=ret).order_by("number")
    answers = (
        ReturnAnswer.objects.filter(ret=ret)
        .select_related("question__part")
        .order_by("question__part__order", "question__order")
    )
    return {
        "period": ret.period.key,
        "lines": [
            {
                "kind": x.kind,
                "source_key": x.source_key,
                "label": x.label,
                "detail": x.detail,
                "planned_year": _plain(x.planned_year),
                "planned": _plain(x.planned),
                "actual": _plain(x.actual),
                "forecast": _plain(x.forecast),
                "explanation": x.explanation,
            }
            for x in lines
        ],
        "metrics": [
            {
                "source_key": m.source_key,
                "name": m.name,
                "unit": m.unit,
                "ambition_period": m.ambition_period,
                "ambition": _plain(m.ambition),
                "actual": _plain(m.actual),
                "on_track": m.on_track,
                "reason": m.reason,
            }
            for m in metrics
        ],
        "conditions": [
            {
                "number": c.number,
                "title": c.title,
                "met": c.met,
                "expected_date": _plain(c.expected_date),
                "explanation": c.explanation,
            }
            for c in conditions
        ],
        "answers": [
            {
                "part": a.question.part.key,
                "question": a.question.key,
                "yes": a.yes,
                "date": _plain(a.date),
                "text": a.text,
            }
            for a in answers
        ],
    }


def return_content_hash(ret: Return) -> str:
    """SHA-256 of the return's canonical content now: a signature is valid only while it is unchanged."""
    return sha256_hex(canonical_json(return_content(ret)))


# --- Pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodRow:
    """One of the round's return periods on a plan's returns page, with the plan's return for it if started."""

    period: ReturnPeriod
    ret: Return | None
    is_late: bool


def return_periods_for_plan(plan: Plan, *, now: datetime) -> list[PeriodRow]:
    """The round's return periods in order, each with the plan's return (two queries)."""
    returns = {r.period_id: r for r in Return.objects.filter(plan=plan)}
    rows = []
    for period in ReturnPeriod.objects.filter(round_id=plan.round_id).select_related("year").order_by("order"):
        ret = returns.get(period.pk)
        submitted = ret is not None and ret.status in (Return.Status.SUBMITTED, Return.Status.REVIEWED)
        rows.append(PeriodRow(period, ret, is_late=now > period.deadline and not submitted))
    return rows


def get_part(ret: Return, part_key: str) -> ReturnPart:
    """One part of the return's round, by key (404 for any other)."""
    part = ReturnPart.objects.filter(round_id=ret.plan.round_id, key=part_key).first()
    if part is None:
        raise Http404("No such part of the return")
    return part


def part_completed(ret: Return, part: ReturnPart) -> bool:
    return ReturnPartProgress.objects.filter(ret=ret, part=part, completed=True).exists()


def next_part(part: ReturnPart) -> ReturnPart | None:
    return ReturnPart.objects.filter(round_id=part.round_id, order__gt=part.order).order_by("order").first()


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    what: str
    detail: str


HISTORY_MODELS = (
    (ReturnLine, "Income and expenditure", lambda row: row.label, ("actual", "forecast", "explanation")),
    (ReturnMetric, "Metrics", lambda row: row.name, ("actual", "on_track", "reason")),
    (
        ReturnCondition,
        "National conditions",
        lambda row: f"Condition {row.number}",
        ("met", "expected_date", "explanation"),
    ),
    (ReturnAnswer, "Questions", lambda row: row.question.prompt, ("yes", "date", "text")),
)


def _shown(value) -> str:
    if value is None or value == "":
        return "(blank)"
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value.as_tuple().exponent >= -2 else f"{value.normalize():f}"
    return str(value)


def return_history(ret: Return) -> list[HistoryEntry]:
    """The return's workflow events and every change to its rows, newest first (one query per kind)."""
    entries = [
        HistoryEntry(
            e.created_at,
            str(e.actor) if e.actor else "The system",
            e.action.replace("_", " ").capitalize(),
            e.comment or (f"{e.from_status or '–'} → {e.to_status}" if e.to_status else ""),
        )
        for e in ret.events.select_related("actor").order_by("-created_at")
    ]
    for model, noun, name, attrs in HISTORY_MODELS:
        rows = model.history.filter(ret_id=ret.pk).select_related("history_user").order_by("id", "history_date")
        if model is ReturnAnswer:
            rows = rows.select_related("question")
        previous: dict[int, object] = {}
        for h in rows:
            before = previous.get(h.id)
            previous[h.id] = h
            if before is None:
                if h.history_type == "+" and all(getattr(h, a) in (None, "") for a in attrs):
                    continue  # pre-filled from the plan: nothing typed yet
                changed = [a for a in attrs if getattr(h, a) not in (None, "")]
            else:
                changed = [a for a in attrs if getattr(h, a) != getattr(before, a)]
            if not changed:
                continue
            detail = "; ".join(
                f"{a.replace('_', ' ')}: {_shown(getattr(before, a) if before else None)} → {_shown(getattr(h, a))}"
                for a in changed
            )
            who = str(h.history_user) if h.history_user else "The system"
            entries.append(HistoryEntry(h.history_date, who, f"{noun}: {name(h)}", detail))
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries
