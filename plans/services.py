"""Writes to a plan's Part 1 content. Every function checks that the user may edit the plan."""

import contextlib
import datetime
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from rounds import columns
from rounds.columns import NARRATIVE, clean_values
from rounds.models import CodeListEntry, Question, Section

from . import drafts, events, groups, selectors, word_import
from .editing import FieldConflict, StaleEdit, history_user, plan_edit, require_edit
from .markdown import check_markdown
from .models import Answer, ConditionResponse, Plan, RelatedDocument, Risk, SectionProgress, WordImport

# --- Saving with optimistic locking -------------------------------------------------------
#
# Every editable object carries a `version`. A form posts the versions it loaded; a save
# whose version is older than the stored one is a conflict unless the user left that
# value as it was when they loaded it (then their colleague's newer value simply stands).
# A conflicting save raises StaleEdit and writes nothing, so the user can merge on the conflict page.


@dataclass(frozen=True)
class AnswerEdit:
    """A question's new value (in the shape Answer stores it) and the answer's version the user loaded."""

    value: object
    version: int = 0


@dataclass(frozen=True)
class ConditionEdit:
    """A national-condition sub-question's new response and the version the user loaded."""

    status: str
    target_date: datetime.date | None = None
    narrative: str = ""
    version: int = 0

    def values(self) -> dict:
        return {"status": self.status, "target_date": self.target_date, "narrative": self.narrative}


_UNKNOWN = object()


def _base_getter(instance, loaded_version: int):
    """A function giving each attribute's value as the user loaded it, or _UNKNOWN."""
    if loaded_version == 0:
        # They loaded an empty form: the base is the model's defaults.
        return lambda attname: instance._meta.get_field(attname).get_default()
    base = instance.history.filter(version=loaded_version).order_by("-history_date").first()
    if base is None:
        return lambda attname: _UNKNOWN
    return lambda attname: getattr(base, attname)


def _compare(instance, loaded_version: int, submitted: dict) -> tuple[dict, list[str]]:
    """Which attributes to write, and which clash with a newer save (a three-way merge per value)."""
    if instance is None:
        return {k: v for k, v in submitted.items() if v not in ("", None)}, []
    if instance.version == loaded_version:
        return {k: v for k, v in submitted.items() if getattr(instance, k) != v}, []
    base_of = _base_getter(instance, loaded_version)
    changes, conflicts = {}, []
    for attname, value in submitted.items():
        theirs = getattr(instance, attname)
        base = base_of(attname)
        if theirs == value or (base is not _UNKNOWN and value == base):
            continue  # same value, or the user left it as loaded: the newer save stands
        if base is not _UNKNOWN and theirs == base:
            changes[attname] = value  # only this user changed it
            continue
        conflicts.append(attname)
    return changes, conflicts


def section_missing_answers(*, section: Section, answers: dict, responses: dict) -> list[str]:
    """Labels of required answers that are still empty (for completion)."""
    missing = []
    for question in section.questions.all():
        value = answers.get(question.pk)
        if question.required and (value is None or (isinstance(value, str) and not value.strip())):
            missing.append(question.label)
    if section.national_condition_id:
        for cq in section.national_condition.questions.all():
            response = responses.get(cq.pk) or {}
            if not response.get("status") or not (response.get("narrative") or "").strip():
                missing.append(cq.prompt)
    return missing


ANSWER_ATTR = {
    Question.Kind.NARRATIVE: "text",
    Question.Kind.TEXT: "text",
    Question.Kind.DATE: "date",
    Question.Kind.MONEY: "money",
    Question.Kind.CONFIRMATION: "confirmed",
}


def save_section(
    *,
    user: User,
    plan: Plan,
    section: Section,
    answers: dict[str, AnswerEdit],
    conditions: dict[int, ConditionEdit] | None = None,
    complete: bool = False,
) -> int:
    """Save a section's answers and national-condition responses, guarding each with its version.

    `answers` maps question key → AnswerEdit; `conditions` maps condition-question id →
    ConditionEdit. On a conflict nothing is written and StaleEdit lists the clashing values.
    With `complete`, every required answer must be present and the section becomes Completed.
    Returns how many rows were written.
    """
    with plan_edit(user=user, plan=plan) as edit:
        plan = edit.plan
        questions = {q.key: q for q in section.questions.all()}
        condition_questions = (
            {cq.pk: cq for cq in section.national_condition.questions.all()} if section.national_condition_id else {}
        )
        current_answers = {
            a.question_id: a
            for a in Answer.objects.select_for_update().filter(plan=plan, question__in=questions.values())
        }
        current_responses = {
            r.question_id: r
            for r in ConditionResponse.objects.select_for_update().filter(plan=plan, question__in=condition_questions)
        }

        conflicts: list[FieldConflict] = []
        writes: list[tuple] = []
        for key, answer in answers.items():
            question = questions[key]
            attname = ANSWER_ATTR[question.kind]
            if question.kind == Question.Kind.NARRATIVE:
                check_markdown(answer.value, subject="Your answer", field=key)
            current = current_answers.get(question.pk)
            changes, clashing = _compare(current, answer.version, {attname: answer.value})
            if clashing:
                conflicts.append(
                    FieldConflict(
                        key, attname, question.label, getattr(current, attname), answer.value, _who(current.updated_by)
                    )
                )
            elif changes:
                writes.append((Answer, current, {"plan": plan, "question": question}, changes))
        for cqid, response in (conditions or {}).items():
            cq = condition_questions[cqid]
            value = response.values()
            check_markdown(response.narrative, subject="Your explanation", field=f"{cqid}.narrative")
            current = current_responses.get(cqid)
            changes, clashing = _compare(current, response.version, value)
            for attname in clashing:
                label = {"status": "Answer", "target_date": "Target date", "narrative": "Explanation"}[attname]
                conflicts.append(
                    FieldConflict(
                        str(cqid),
                        attname,
                        f"{cq.number} {label}".strip(),
                        getattr(current, attname),
                        value[attname],
                        _who(current.updated_by),
                    )
                )
            if clashing or not changes:
                continue
            if current is None:
                writes.append((ConditionResponse, None, {"plan": plan, "question": cq}, value))
                continue
            merged = {k: changes.get(k, getattr(current, k)) for k in value}
            if merged["status"] != ConditionResponse.Status.IN_PROGRESS:
                merged["target_date"] = None
            elif merged["target_date"] is None:
                conflicts.append(
                    FieldConflict(str(cqid), "target_date", f"{cq.number} Target date".strip(), None, None)
                )
                continue
            writes.append((ConditionResponse, current, {}, merged))
        if conflicts:
            raise StaleEdit(conflicts)

        for model, current, keys, changes in writes:
            row = current or model(**keys)
            for attname, value in changes.items():
                setattr(row, attname, value)
            row.updated_by = user
            edit.save(row)

        # Judge completeness on what is stored now, including a colleague's values that stood.
        by_id = {q.pk: q for q in questions.values()}
        final_answers = {
            a.question_id: getattr(a, ANSWER_ATTR[by_id[a.question_id].kind])
            for a in Answer.objects.filter(plan=plan, question__in=by_id)
        }
        final_responses = {
            r.question_id: {"status": r.status, "narrative": r.narrative}
            for r in ConditionResponse.objects.filter(plan=plan, question__in=condition_questions)
        }
        final_answers = groups.with_shared_text(plan, section, final_answers)
        missing = section_missing_answers(section=section, answers=final_answers, responses=final_responses)
        if complete and missing:
            raise ValidationError("Answer every required question before marking this section as completed.")
        # A section may hold a ruled table (capacity and demand) as well as its questions.
        table_problems = _table_problems(plan, section)
        if complete and table_problems:
            more = f" ({len(table_problems) - 1} more on its table's page)" if len(table_problems) > 1 else ""
            raise ValidationError(table_problems[0] + more)
        still_missing = bool(missing or table_problems)
        _update_progress(user=user, plan=plan, section=section, complete=complete, still_missing=still_missing)
        _discard_draft(user=user, plan=plan, form_key=f"section:{section.key}")
    return len(writes)


def _who(user) -> str:
    return str(user) if user else "someone else"


def _update_progress(*, user: User, plan: Plan, section: Section, complete: bool, still_missing: bool = False):
    progress = SectionProgress.objects.filter(plan=plan, section=section).first()
    current = progress.status if progress else SectionProgress.Status.NOT_STARTED
    if complete:
        status = SectionProgress.Status.COMPLETED
    elif current == SectionProgress.Status.NOT_STARTED:
        status = SectionProgress.Status.IN_PROGRESS
    elif current == SectionProgress.Status.COMPLETED and still_missing:
        # A completed section that lost a required answer is no longer complete.
        status = SectionProgress.Status.IN_PROGRESS
    else:
        return
    SectionProgress.objects.update_or_create(
        plan=plan, section=section, defaults={"status": status, "updated_by": user}
    )


def _discard_draft(*, user: User, plan: Plan, form_key: str) -> None:
    drafts.discard_draft(user=user, plan=plan, form_key=form_key)


# --- Completing a section ----------------------------------------------------------------
#
# Some table sections may be completed only when the round's rules for them hold. The rules read
# rows of higher apps (finance's income and expenditure, metrics' ambitions), so the app that owns
# each table registers its check here in its AppConfig.ready; without one, plans refuses to complete
# such a section rather than complete it unchecked.
RULED_TABLES = frozenset(
    {Section.Table.INCOME, Section.Table.EXPENDITURE, Section.Table.METRICS, Section.Table.CAPACITY_DEMAND}
)

# What a section's rules say is missing, given the plan (locked): empty when it may be completed.
SectionProblems = Callable[[Plan], list[str]]
_SECTION_RULES: dict[str, SectionProblems] = {}


def register_section_rules(table: str, problems: SectionProblems) -> None:
    _SECTION_RULES[table] = problems


def complete_section(*, user: User, plan: Plan, section: Section) -> SectionProgress:
    """Mark a section completed: the one way, for every kind of section, under the plan's lock.

    A question section needs every required answer; a ruled table (income, expenditure, metrics)
    needs its rules to hold. Raises ValidationError, listing what is missing, when they do not.
    """
    with plan_edit(user=user, plan=plan) as edit:
        if section.questions.exists() or section.national_condition_id:
            missing = _missing_answers(edit.plan, section) + _table_problems(edit.plan, section)
        elif section.table in RULED_TABLES and section.table not in _SECTION_RULES:
            raise ValidationError(f"Mark ‘{section.title}’ as completed on its own page, where its rules are checked.")
        else:
            problems = _SECTION_RULES.get(section.table)
            missing = problems(edit.plan) if problems is not None else []
        if missing:
            raise ValidationError(missing)
        _update_progress(user=user, plan=edit.plan, section=section, complete=True)
    return SectionProgress.objects.get(plan=plan, section=section)


def _table_problems(plan: Plan, section: Section) -> list[str]:
    """What the rules of the table a section holds say is missing (none for a section without one)."""
    problems = _SECTION_RULES.get(section.table) if section.table else None
    return problems(plan) if problems is not None else []


def _missing_answers(plan: Plan, section: Section) -> list[str]:
    questions = {q.pk: q for q in section.questions.all()}
    answers = {
        a.question_id: getattr(a, ANSWER_ATTR[questions[a.question_id].kind])
        for a in Answer.objects.filter(plan=plan, question__in=questions)
    }
    responses = {
        r.question_id: {"status": r.status, "narrative": r.narrative}
        for r in ConditionResponse.objects.filter(plan=plan, question__condition=section.national_condition_id)
    }
    answers = groups.with_shared_text(plan, section, answers)
    return section_missing_answers(section=section, answers=answers, responses=responses)


def table_section(plan: Plan, table: str) -> Section | None:
    return selectors.plan_sections(plan).filter(table=table).order_by("order").first()


def _refuse_outside_phase(plan: Plan, table: str) -> None:
    """In a later phase (a planning update) the approved plan's tables that the phase does not ask
    for stay as they were approved: a change to one is refused, inside the change's transaction."""
    if plan.phase_id is None or not Section.objects.filter(round_id=plan.round_id, table=table).exists():
        return
    phase = selectors.plan_phase(plan)
    raise PermissionDenied(
        f"The {phase.name} does not ask for this part of the plan: it stays as it was in the approved plan."
    )


def touch_table_section(*, user: User, plan: Plan, table: str, start: bool = True) -> None:
    """A row of the table changed: its section starts (Not started → In progress, unless not `start`),
    and a Completed section whose registered rules no longer hold goes back to In progress."""
    section = table_section(plan, table)
    if section is None:
        if start:
            _refuse_outside_phase(plan, table)
        return
    status = SectionProgress.objects.filter(plan=plan, section=section).values_list("status", flat=True).first()
    if status == SectionProgress.Status.COMPLETED:
        problems = _SECTION_RULES.get(table)
        if problems is not None and problems(plan):
            _update_progress(user=user, plan=plan, section=section, complete=False, still_missing=True)
    elif start:
        _update_progress(user=user, plan=plan, section=section, complete=False)


def save_row(
    *,
    user: User,
    plan: Plan,
    model,
    row_id: int | None,
    values: dict,
    version: int | None,
    table: str,
    form_key: str,
    labels: dict[str, str] | None = None,
    extra: dict | None = None,
):
    """Add or change one table row (risk, document, scheme) under the version check, and return it.

    `values` maps model attribute names → new values. `extra` is written without a
    version check (e.g. a newly uploaded file). Raises Http404 for a row of another plan,
    StaleEdit (writing nothing) for values someone else changed since `version`.
    """
    labels = labels or {}
    for attname in getattr(model, "markdown_fields", ()):
        if attname in values:
            check_markdown(values[attname], subject=labels.get(attname, "The text"), field=attname)
    with plan_edit(user=user, plan=plan) as edit:
        plan = edit.plan
        if row_id is None:
            row = model(plan=plan, **values, **(extra or {}))
            if "order" in {f.name for f in model._meta.fields} and "order" not in values:
                row.order = model.objects.filter(plan=plan).count() + 1
            edit.save(row)
        else:
            row = edit.row(model, row_id)
            changes, clashing = _compare(row, version or 0, values)
            if clashing:
                raise StaleEdit(
                    [
                        FieldConflict("", attname, labels.get(attname, attname), getattr(row, attname), values[attname])
                        for attname in clashing
                    ]
                )
            if changes or extra:
                for attname, value in {**changes, **(extra or {})}.items():
                    setattr(row, attname, value)
                edit.save(row)
        touch_table_section(user=user, plan=plan, table=table)
        _discard_draft(user=user, plan=plan, form_key=form_key)
    return row


def remove_row(*, user: User, plan: Plan, model, row_id: int, version: int | None, table: str) -> None:
    """Remove a row. Refused (StaleEdit) if someone changed it after the user looked at it."""
    with plan_edit(user=user, plan=plan) as edit:
        # A removed document's file is kept: a submission or the row's history may refer to it.
        edit.delete(edit.row(model, row_id, version=version))
        touch_table_section(user=user, plan=edit.plan, table=table)


def store_document_file(upload, kind: str) -> str:
    """Store an uploaded document under a name made from the SHA-256 of its bytes, and return the name.

    The same bytes are stored once, and a stored file is never overwritten or deleted, so a
    submission's snapshot, which names the files it was submitted with, always finds them.
    The user's filename is never used on disk.
    """
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    sha256 = digest.hexdigest()
    name = f"documents/sha256/{sha256[:2]}/{sha256}.{kind}"
    storage = RelatedDocument._meta.get_field("file").storage
    if not storage.exists(name):
        upload.seek(0)
        name = storage.save(name, upload)
    return name


def save_document(
    *, user: User, plan: Plan, document_id: int | None, values: dict, version: int | None, upload=None, upload_kind=""
) -> RelatedDocument:
    """Add or change a related document; an upload must already have passed forms.check_upload."""
    extra = {}
    if upload is not None:
        if not upload_kind:
            raise ValidationError("Check the file type before saving it.")
        extra["original_filename"] = os.path.basename(upload.name)[:255]
        # A new file gets a new name; the one it replaces stays for any submission that refers to it.
        extra["file"] = store_document_file(upload, upload_kind)
    values = _checked_row_values(plan, Section.Table.DOCUMENTS, values)
    return save_row(
        user=user,
        plan=plan,
        model=RelatedDocument,
        row_id=document_id,
        values=values,
        version=version,
        table=Section.Table.DOCUMENTS,
        form_key=f"document:{document_id or 'new'}",
        labels=_column_labels(plan, Section.Table.DOCUMENTS),
        extra=extra,
    )


def save_risk(*, user: User, plan: Plan, risk_id: int | None, values: dict, version: int | None) -> Risk:
    values = _checked_row_values(plan, Section.Table.RISKS, values)
    return save_row(
        user=user,
        plan=plan,
        model=Risk,
        row_id=risk_id,
        values=values,
        version=version,
        table=Section.Table.RISKS,
        form_key=f"risk:{risk_id or 'new'}",
        labels=_column_labels(plan, Section.Table.RISKS),
    )


def _column_labels(plan: Plan, table: str) -> dict[str, str]:
    labels = {"values": "Other answers"}
    for column in plan.round.table_columns(table):
        labels["rating_id" if column.key == "rating" else column.key] = column.heading
    return labels


def _checked_row_values(plan: Plan, table: str, values: dict) -> dict:
    """A risk's or document's values held to the round's columns (rounds.columns); ValidationError if not.

    The row's own fields come as attributes; the round-defined columns under `values`.
    """
    table_columns = plan.round.table_columns(table)
    codes: dict[str, set[str]] = {}
    for list_name, code in CodeListEntry.objects.filter(round_id=plan.round_id).values_list("list", "code"):
        codes.setdefault(list_name, set()).add(code)
    values = {**values, "values": clean_values(table_columns, table, values.get("values") or {}, codes)}
    for column in table_columns:
        if column.kind == NARRATIVE and column.key in values["values"]:
            check_markdown(values["values"][column.key], subject=column.heading, field=column.key)
        if column.key == "rating" and table == Section.Table.RISKS:
            rating_id = values.get("rating_id")
            if rating_id is None and column.required:
                raise ValidationError(column.required_message, code="rating")
            if (
                rating_id is not None
                and not CodeListEntry.objects.filter(
                    pk=rating_id, round_id=plan.round_id, list=CodeListEntry.List.RISK_RATING
                ).exists()
            ):
                raise ValidationError("Select a risk rating from this round's scale.", code="rating")
    return values


def remove_risk(*, user: User, plan: Plan, risk_id: int, version: int | None) -> None:
    remove_row(user=user, plan=plan, model=Risk, row_id=risk_id, version=version, table=Section.Table.RISKS)


def remove_document(*, user: User, plan: Plan, document_id: int, version: int | None) -> None:
    # The document's file is kept: a submission or the row's history may refer to it.
    remove_row(
        user=user, plan=plan, model=RelatedDocument, row_id=document_id, version=version, table=Section.Table.DOCUMENTS
    )


def apply_imported_risks(*, user: User, plan: Plan, rows: list) -> None:
    """Apply the Risks sheet of an imported Part 2 workbook (finance.workbook_import's RiskRow rows).

    Called by finance's import inside its plans.editing.plan_edit, which holds the plan's lock and
    checked the user's permission; the rows are already validated against the round's columns.
    A risk the sheet no longer lists is removed, as on the other sheets.
    """
    existing = {risk.pk: risk for risk in Risk.objects.filter(plan=plan)}
    kept = set()
    for order, row in enumerate(rows, start=1):
        fields = {**row.fields(), "order": order}
        if row.risk_id is None:
            Risk.objects.create(plan=plan, **fields)
            continue
        kept.add(row.risk_id)
        risk = existing[row.risk_id]
        if any(getattr(risk, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(risk, name, value)
            risk.version += 1
            risk.save()
    for pk, risk in existing.items():
        if pk not in kept:
            risk.delete()
    touch_table_section(user=user, plan=plan, table=Section.Table.RISKS)


def start_phase_sections(*, plan: Plan, actor: User | None) -> int:
    """The plan has just moved into a later phase (a planning update): pre-fill it from the approved plan.

    A section the plan already had keeps its content (the same rows) and goes back to In progress,
    to be checked and marked completed again for the update. A phase's own section starts from the
    answers of the plan's section it names (`prefill_from`), question by question with the same key
    and kind. Governance calls this under the plan's lock; returns how many answers were copied.
    """
    sections = list(selectors.plan_sections(plan).exclude(table=Section.Table.SIGNOFF))
    SectionProgress.objects.filter(
        plan=plan, section__in=[s for s in sections if s.phase_id is None], status=SectionProgress.Status.COMPLETED
    ).update(status=SectionProgress.Status.IN_PROGRESS, updated_by=actor)
    targets = {
        (q.section_id, q.key): q
        for q in Question.objects.filter(section__in=[s for s in sections if s.prefill_from_id is not None])
    }
    answered = set(Answer.objects.filter(plan=plan, question__in=targets.values()).values_list("question", flat=True))
    sources = {s.prefill_from_id: s for s in sections if s.prefill_from_id is not None}
    copied = []
    for answer in Answer.objects.filter(plan=plan, question__section__in=list(sources)).select_related("question"):
        target = targets.get((sources[answer.question.section_id].pk, answer.question.key))
        if target is None or target.pk in answered or target.kind != answer.question.kind:
            continue
        copied.append(
            Answer(
                plan=plan,
                question=target,
                text=answer.text,
                date=answer.date,
                money=answer.money,
                confirmed=answer.confirmed,
                updated_by=actor,
            )
        )
    if copied:
        # The portal (no actor) moves a plan when its phase opens: no one to name as the author.
        with history_user(actor) if actor is not None else contextlib.nullcontext():
            for answer in copied:
                answer.save()
        for section_id in {a.question.section_id for a in copied}:
            SectionProgress.objects.update_or_create(
                plan=plan, section_id=section_id, defaults={"status": SectionProgress.Status.IN_PROGRESS}
            )
        events.content_changed(plan=plan, actor=actor, cause="pre-filled from the approved plan")
    return len(copied)


# --- Importing a Word plan ----------------------------------------------------------------
#
# plans.word_import reads and splits the document; these keep the pieces for the commissioner's
# preview (WordImport) and apply their choices in one plan_edit, so signatures void once.


def _column_names(plan: Plan, column) -> set[str]:
    heading = column.heading
    if heading.startswith("{") and heading.endswith("}"):
        heading = plan.round.label(heading[1:-1])
    return {word_import.normalise(name) for name in (column.key, column.label, heading) if name}


def read_imported_table(plan: Plan, table: str, rows: list[list[str]]) -> tuple[list[dict], list[str]] | None:
    """A table from a Word plan as rows of the round's risks or documents table, checked as a form would.

    Its first row must name the table's naming column (Risk, Document); None when it does not, and the
    table stays a Markdown table. Returns the rows that pass and a problem for each that does not.
    """
    table_columns = [c for c in plan.round.table_columns(table) if not c.is_computed and c.kind != columns.FILE]
    header = [word_import.normalise(cell) for cell in rows[0]]
    by_index = {}
    for index, name in enumerate(header):
        for column in table_columns:
            if name in _column_names(plan, column) and column not in by_index.values():
                by_index[index] = column
                break
    if columns.NAMING_FIELD[table] not in {c.key for c in by_index.values()}:
        return None
    ratings = {
        word_import.normalise(entry.label): entry.pk
        for entry in CodeListEntry.objects.filter(round_id=plan.round_id, list=CodeListEntry.List.RISK_RATING)
    }
    kept, problems = [], []
    for number, cells in enumerate(rows[1:], start=2):
        fields, values = {}, {}
        for index, column in by_index.items():
            value = cells[index].strip() if index < len(cells) else ""
            if column.key == "rating" and table == Section.Table.RISKS:
                fields["rating_id"] = ratings.get(word_import.normalise(value)) if value else None
            elif column.is_field(table):
                fields[column.key] = value
            else:
                values[column.key] = value
        try:
            checked = _checked_row_values(plan, table, {**fields, "values": values})
            model = Risk if table == Section.Table.RISKS else RelatedDocument
            for attname in model.markdown_fields:
                check_markdown(checked.get(attname, ""), subject="The text")
            if not (checked.get(columns.NAMING_FIELD[table]) or "").strip():
                naming = next(c for c in plan.round.table_columns(table) if c.key == columns.NAMING_FIELD[table])
                raise ValidationError(naming.required_message)
        except ValidationError as error:
            problems.append(f"Row {number} was left out: {'; '.join(error.messages)}")
            continue
        kept.append({"values": checked, "cells": [cells[i] if i < len(cells) else "" for i in sorted(by_index)]})
    return kept, problems


def word_import_sections(plan: Plan) -> list[word_import.SectionTarget]:
    """The plan's sections as a Word plan's headings may name them: narrative questions and row tables."""
    targets = []
    for section in selectors.plan_sections(plan).order_by("order").prefetch_related("questions"):
        questions = tuple(
            (str(q.pk), q.label)
            for q in sorted(section.questions.all(), key=lambda q: q.order)
            if q.kind == Question.Kind.NARRATIVE
        )
        table = section.table if section.table in (Section.Table.RISKS, Section.Table.DOCUMENTS) else ""
        if questions or table:
            targets.append(
                word_import.SectionTarget(
                    key=section.key,
                    heading=section.heading,
                    number=section.number,
                    group_heading=section.group_heading,
                    questions=questions,
                    table=table,
                )
            )
    return targets


def start_word_import(*, user: User, plan: Plan, upload) -> WordImport:
    """Check and convert an uploaded Word plan into a preview; nothing reaches the plan yet.

    Raises word_import.WordRejected, with a message saying how to fix it, for a file it refuses.
    """
    require_edit(user=user, plan=plan)
    if upload.size > word_import.max_upload_size():
        limit = word_import.max_upload_size() // 1048576
        raise word_import.WordRejected(f"The file must be smaller than {limit} MB")
    upload.seek(0)
    data = upload.read(word_import.max_upload_size() + 1)
    blocks, notes = word_import.convert(data)
    pieces = word_import.split_into_pieces(
        blocks, word_import_sections(plan), lambda table, rows: read_imported_table(plan, table, rows)
    )
    for piece in pieces:
        notes.extend(piece.get("problems", []))
    return WordImport.objects.create(
        plan=plan,
        user=user,
        original_filename=os.path.basename(upload.name)[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        pieces=pieces,
        messages=notes,
    )


REPLACE, APPEND, KEEP = "replace", "append", "keep"


@dataclass(frozen=True)
class ImportedAnswer:
    """What the import would write to one question, and the answer already there (empty if none)."""

    question: Question
    imported: str
    current: str
    version: int


def imported_answers(*, plan: Plan, pieces: list[dict], placements: dict[int, str]) -> list[ImportedAnswer]:
    """The pieces placed on each question, joined in document order, beside the answer it has now."""
    by_question: dict[str, list[str]] = {}
    for piece in pieces:
        target = placements.get(piece["id"], piece["target"])
        if piece["kind"] == "text" and target.isdigit():
            by_question.setdefault(target, []).append(piece["markdown"])
    questions = {
        str(q.pk): q
        for q in Question.objects.filter(
            pk__in=[int(k) for k in by_question],
            section__in=selectors.plan_sections(plan),
            kind=Question.Kind.NARRATIVE,
        )
    }
    answers = {
        str(a.question_id): a for a in Answer.objects.filter(plan=plan, question_id__in=[int(k) for k in questions])
    }
    result = []
    for key, texts in by_question.items():
        if key not in questions:
            raise ValidationError("Choose a question of this plan for each piece, or do not import it.")
        answer = answers.get(key)
        result.append(
            ImportedAnswer(
                questions[key], "\n\n".join(texts), answer.text if answer else "", answer.version if answer else 0
            )
        )
    return result


def apply_word_import(
    *,
    user: User,
    plan: Plan,
    word_import_id: int,
    placements: dict[int, str],
    decisions: dict[int, str],
    seen_versions: dict[int, int],
) -> int:
    """Write the placed pieces to the plan in one plan_edit; return how many answers and rows were written.

    `placements` maps piece id → target (a question id, "risks", "documents" or "" for not importing);
    `decisions` maps question id → replace, append or keep for a question that already has an answer,
    which the user was shown at `seen_versions`. A question whose answer changed since, or has no
    decision, raises StaleEdit or ValidationError and nothing is written.
    """
    with plan_edit(user=user, plan=plan) as edit:
        record = (
            WordImport.objects.select_for_update()
            .filter(pk=word_import_id, plan=edit.plan, user=user, status=WordImport.Status.PREVIEW)
            .first()
        )
        if record is None:
            raise Http404("No such import")
        written = 0
        touched_sections = set()
        for item in imported_answers(plan=edit.plan, pieces=record.pieces, placements=placements):
            question = item.question
            answer = Answer.objects.select_for_update().filter(plan=edit.plan, question=question).first()
            current = answer.text if answer else ""
            decision = decisions.get(question.pk, REPLACE if not current.strip() else "")
            if current.strip() and (answer.version != seen_versions.get(question.pk)):
                raise StaleEdit([FieldConflict(str(question.pk), "text", question.label, current, item.imported)])
            if decision not in (REPLACE, APPEND, KEEP):
                raise ValidationError(f"Choose what to do with the answer ‘{question.label}’ already has.")
            if decision == KEEP:
                continue
            text = f"{current.rstrip()}\n\n{item.imported}" if decision == APPEND and current.strip() else item.imported
            check_markdown(text, subject=f"The answer to ‘{question.label}’")
            answer = answer or Answer(plan=edit.plan, question=question)
            answer.text = text
            answer.updated_by = user
            edit.save(answer, cause="answer imported from a Word document")
            touched_sections.add(question.section)
            written += 1
        for piece in record.pieces:
            target = placements.get(piece["id"], piece["target"])
            if piece["kind"] != "rows" or target != piece["table"]:
                continue
            model = Risk if target == Section.Table.RISKS else RelatedDocument
            order = model.objects.filter(plan=edit.plan).count()
            for row in piece["rows"]:
                order += 1
                values = _checked_row_values(edit.plan, target, row["values"])
                edit.save(model(plan=edit.plan, order=order, **values), cause=f"{target} imported from a Word document")
                written += 1
            touch_table_section(user=user, plan=edit.plan, table=target)
        for section in touched_sections:
            _update_progress(user=user, plan=edit.plan, section=section, complete=False)
        record.status = WordImport.Status.APPLIED
        record.applied_at = timezone.now()
        record.save(update_fields=["status", "applied_at"])
    return written


def discard_word_import(*, user: User, plan: Plan, word_import_id: int) -> None:
    """Throw a preview away; nothing of it reaches the plan."""
    updated = WordImport.objects.filter(
        pk=word_import_id, plan=plan, user=user, status=WordImport.Status.PREVIEW
    ).update(status=WordImport.Status.DISCARDED)
    if not updated:
        raise Http404("No such import")
