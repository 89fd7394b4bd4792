"""Writes to monitoring returns: starting one from the approved plan, and the one way to change its content.

Every change to a return's content goes through `return_edit`, which locks the return, checks the
user may edit it, compares the versions the user loaded, and, if anything was written, voids the
return's signatures in the same transaction (as a plan's edit voids the plan's).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from governance.models import Submission
from plans.editing import StaleEdit, history_user
from plans.models import Plan
from rounds.models import Metric, NationalCondition, ReturnPart, ReturnPeriod, ReturnQuestion, ReturnTemplate
from rounds.units import UNITS
from rounds.xlsx_bounds import MAX_CELL_TEXT

from . import permissions, selectors
from .models import (
    Return,
    ReturnAnswer,
    ReturnCondition,
    ReturnEvent,
    ReturnLine,
    ReturnMetric,
    ReturnPartProgress,
    ReturnSignOff,
)

S = Return.Status
APPROVED = (Plan.Status.APPROVED, Plan.Status.APPROVED_WITH_CONDITIONS)


def record_return_event(
    *, ret: Return, actor: User | None, action: str, from_status="", to_status="", comment="", detail=None
):
    return ReturnEvent.objects.create(
        ret=ret,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        detail=detail or {},
    )


# --- Starting a return -----------------------------------------------------------------------


def approved_submission(plan: Plan) -> Submission | None:
    """The plan's latest submission that an assurer approved: what returns report against."""
    return (
        Submission.objects.filter(plan=plan, reviews__outcome__is_approval=True, reviews__decided_at__isnull=False)
        .order_by("-version")
        .first()
    )


def _share(amount: Decimal, share_of_year: Decimal) -> Decimal:
    return (amount * share_of_year / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _money(text) -> Decimal | None:
    return None if text in (None, "") else Decimal(str(text))


def _unit_label(code: str) -> str:
    return UNITS[code].label if code in UNITS else code


def _prefill(ret: Return, content: dict, period: ReturnPeriod) -> None:
    year, share = period.year.label, period.share_of_year
    lines = []
    for i, income in enumerate(content.get("income", []), start=1):
        if income["year"] != year:
            continue
        planned = _money(income["amount"]) or Decimal(0)
        lines.append(
            ReturnLine(
                ret=ret,
                kind=ReturnLine.Kind.INCOME,
                source_key=f"income-{i}",
                label=income["funding_stream"],
                detail=income["organisation"],
                planned_year=planned,
                planned=_share(planned, share),
                order=len(lines) + 1,
            )
        )
    spend = []
    for i, line in enumerate(content.get("expenditure", []), start=1):
        if year not in line["amounts"]:
            continue
        planned = _money(line["amounts"][year]) or Decimal(0)
        spend.append(
            ReturnLine(
                ret=ret,
                kind=ReturnLine.Kind.EXPENDITURE,
                source_key=f"expenditure-{i}",
                label=line["scheme"],
                detail=f"{line['scheme_type']} · {line['provider']} · {line['funding_stream']}",
                planned_year=planned,
                planned=_share(planned, share),
                order=len(spend) + 1,
            )
        )
    ReturnLine.objects.bulk_create(lines + spend)

    # A national metric's unit is the round's; a local one carries its own.
    round_units = dict(Metric.objects.filter(round_id=ret.plan.round_id).values_list("key", "unit"))
    metrics = []
    for i, metric in enumerate(content.get("metrics", []), start=1):
        values = {v["period"]: v for v in metric["planned_values"]}
        chosen = next((p for p in period.metric_periods if p in values), None)
        metrics.append(
            ReturnMetric(
                ret=ret,
                source_key=metric["metric_key"] or f"local-{i}",
                name=metric["metric"],
                unit=_unit_label(metric["local_unit"] or round_units.get(metric["metric_key"], "")),
                ambition_period=chosen or "",
                ambition=_money(values[chosen]["value"]) if chosen else None,
                order=i,
            )
        )
    ReturnMetric.objects.bulk_create(metrics)

    ReturnCondition.objects.bulk_create(
        ReturnCondition(ret=ret, number=c.number, title=c.title)
        for c in NationalCondition.objects.filter(round_id=ret.plan.round_id).order_by("number")
    )


@transaction.atomic
def start_return(*, user: User | None, plan: Plan, period: ReturnPeriod) -> Return:
    """The plan's return for the period, pre-filled from its approved submission the first time it is asked for.

    Commissioners of the area start it (the system may too, e.g. the demo); refused until the plan is approved.
    """
    if user is not None and not permissions.plan_rules.is_commissioner_of_area(user, plan):
        raise PermissionDenied("Only the area's commissioners can start its returns.")
    if period.round_id != plan.round_id:
        raise ValidationError("That period belongs to another round.")
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    existing = Return.objects.filter(plan=locked, period=period).first()
    if existing is not None:
        return existing
    submission = approved_submission(locked)
    if submission is None:
        raise ValidationError("Returns start once the plan has been approved.")
    ret = Return.objects.create(plan=locked, period=period, approved_submission=submission, created_by=user)
    _prefill(ret, submission.snapshot["content"], period)
    record_return_event(
        ret=ret, actor=user, action="started", to_status=ret.status, detail={"submission": submission.version}
    )
    return ret


# --- Editing -----------------------------------------------------------------------------------


@dataclass
class ReturnEdit:
    """The locked return and what has been written to it inside one `return_edit`."""

    ret: Return
    user: User
    template: ReturnTemplate
    causes: list[str] = field(default_factory=list)

    def row(self, model: type[models.Model], pk: int, *, version: int | None = None):
        """Lock one row of this return; Http404 for another return's, StaleEdit if it moved past `version`."""
        row = model.objects.select_for_update().filter(pk=pk, ret=self.ret).first()
        if row is None:
            raise Http404("No such row")
        if version is not None and row.version != version:
            raise StaleEdit()
        return row

    def save(self, instance: models.Model, *, cause: str) -> None:
        if instance.pk is not None and hasattr(instance, "version"):
            instance.version += 1
        instance.save()
        self.causes.append(cause)


@contextmanager
def return_edit(*, user: User, ret: Return) -> Iterator[ReturnEdit]:
    """Lock the return, check the user may edit it, and void its signatures if anything was written."""
    with transaction.atomic(), history_user(user):
        locked = (
            Return.objects.select_for_update(of=("self",))
            .select_related("plan__round", "plan__hwb_area", "period")
            .get(pk=ret.pk)
        )
        if not permissions.can_edit_return(user, locked):
            raise PermissionDenied("You cannot change this return.")
        edit = ReturnEdit(ret=locked, user=user, template=ReturnTemplate.objects.get(round_id=locked.plan.round_id))
        yield edit
        if edit.causes:
            Return.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
            void_return_signatures(ret=locked, actor=user, cause=", ".join(sorted(set(edit.causes))))
    ret.status = locked.status


def _text(value: str, label: str) -> str:
    """A return's text, no longer than one workbook cell holds, so its workbook exports and imports back whole."""
    value = value.strip()
    if len(value) > MAX_CELL_TEXT:
        raise ValidationError(f"Enter {MAX_CELL_TEXT:,} characters or fewer for {label}")
    return value


def _amount(value, template: ReturnTemplate, label: str) -> Decimal | None:
    if value is None:
        return None
    if value < 0 or value > template.amount_max:
        raise ValidationError(f"Enter an amount between £0 and £{template.amount_max:,.0f} for {label}")
    return value


@dataclass(frozen=True)
class LineChange:
    pk: int
    version: int
    actual: Decimal | None
    forecast: Decimal | None
    explanation: str


@dataclass(frozen=True)
class MetricChange:
    pk: int
    version: int
    actual: Decimal | None
    on_track: bool | None
    reason: str


@dataclass(frozen=True)
class ConditionChange:
    pk: int
    version: int
    met: bool | None
    expected_date: date | None
    explanation: str


@dataclass(frozen=True)
class AnswerChange:
    question: ReturnQuestion
    version: int | None  # None: the user saw no answer yet
    yes: bool | None
    date: date | None
    text: str


def save_lines(*, user: User, ret: Return, changes: list[LineChange]) -> int:
    """Store actuals, forecasts and explanations; all or nothing. Returns how many lines changed."""
    with return_edit(user=user, ret=ret) as edit:
        changed = 0
        for c in changes:
            line = edit.row(ReturnLine, c.pk, version=c.version)
            new = (
                _amount(c.actual, edit.template, line.label),
                _amount(c.forecast, edit.template, line.label),
                _text(c.explanation, line.label),
            )
            if new != (line.actual, line.forecast, line.explanation):
                line.actual, line.forecast, line.explanation = new
                edit.save(line, cause="income and expenditure changed")
                changed += 1
        return changed


def save_metrics(*, user: User, ret: Return, changes: list[MetricChange]) -> int:
    with return_edit(user=user, ret=ret) as edit:
        changed = 0
        for c in changes:
            metric = edit.row(ReturnMetric, c.pk, version=c.version)
            new = (c.actual, c.on_track, _text(c.reason, metric.name))
            if new != (metric.actual, metric.on_track, metric.reason):
                metric.actual, metric.on_track, metric.reason = new
                edit.save(metric, cause="metrics changed")
                changed += 1
        return changed


def save_conditions(*, user: User, ret: Return, changes: list[ConditionChange]) -> int:
    with return_edit(user=user, ret=ret) as edit:
        changed = 0
        for c in changes:
            condition = edit.row(ReturnCondition, c.pk, version=c.version)
            # A condition that is met needs no date or explanation: drop any left from "no".
            new = (c.met, None if c.met else c.expected_date, "" if c.met else _text(c.explanation, condition.title))
            if new != (condition.met, condition.expected_date, condition.explanation):
                condition.met, condition.expected_date, condition.explanation = new
                edit.save(condition, cause="national conditions changed")
                changed += 1
        return changed


def save_answers(*, user: User, ret: Return, changes: list[AnswerChange]) -> int:
    with return_edit(user=user, ret=ret) as edit:
        changed = 0
        for c in changes:
            if c.question.part.round_id != edit.ret.plan.round_id:
                raise Http404("No such question")
            answer = ReturnAnswer.objects.select_for_update().filter(ret=edit.ret, question=c.question).first()
            if answer is not None and c.version is not None and answer.version != c.version:
                raise StaleEdit()
            if answer is not None and c.version is None and (answer.yes, answer.date, answer.text) != (None, None, ""):
                raise StaleEdit()  # someone answered it after the user opened the page
            answer = answer or ReturnAnswer(ret=edit.ret, question=c.question)
            keep_reason = c.question.kind == ReturnQuestion.Kind.YES_NO and c.yes is False
            text = (
                _text(c.text, c.question.prompt)
                if keep_reason or c.question.kind == ReturnQuestion.Kind.NARRATIVE
                else ""
            )
            new = (c.yes, c.date if keep_reason else None, text)
            if answer.pk is None or new != (answer.yes, answer.date, answer.text):
                answer.yes, answer.date, answer.text = new
                edit.save(answer, cause=f"{c.question.part.title.lower()} changed")
                changed += 1
        return changed


@transaction.atomic
def set_part_completed(*, user: User, ret: Return, part: ReturnPart, completed: bool) -> None:
    """Mark a part completed (refused while it has problems) or back in progress."""
    with return_edit(user=user, ret=ret) as edit:
        if part.round_id != edit.ret.plan.round_id:
            raise Http404("No such part")
        if completed:
            problems = selectors.part_problems(edit.ret, part, threshold=edit.template.variance_percent)
            if problems:
                raise ValidationError([p.message for p in problems])
        ReturnPartProgress.objects.update_or_create(ret=edit.ret, part=part, defaults={"completed": completed})


# --- Signatures --------------------------------------------------------------------------------


def void_return_signatures(*, ret: Return, actor: User | None, cause: str) -> bool:
    """A change to a return awaiting or holding signatures voids them all and returns it to draft."""
    voided = ReturnSignOff.objects.filter(ret=ret, voided_at__isnull=True).update(voided_at=timezone.now())
    if not voided and ret.status == S.DRAFT:
        return False
    before = ret.status
    if ret.status in (S.READY_FOR_SIGNOFF, S.SIGNED_OFF):
        ret.status = S.DRAFT
        Return.objects.filter(pk=ret.pk).update(status=S.DRAFT)
    record_return_event(
        ret=ret,
        actor=actor,
        action="signatures_voided",
        from_status=before,
        to_status=ret.status,
        comment="The return was changed after it was sent for sign-off, so every signature was removed.",
        detail={"cause": cause},
    )
    return True
