"""Reads for plan pages. Every plan a view shows is fetched through these, scoped to the user."""

import copy
import datetime
import difflib
import functools
import re

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.query import EmptyQuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from accounts.security import RefusedAsNotFound
from rounds.columns import NAMING_FIELD, cells, display
from rounds.config import round_config
from rounds.models import CodeListEntry, Organisation, RoundPhase, Section, SignOffSlot

from . import figures, permissions
from .models import Answer, ConditionResponse, Figure, Plan, RelatedDocument, Risk, SectionProgress, SharedAnswer

# Shareable sections hold the group's shared text for their text questions (plans.groups.SHARED_KINDS).
SHARED_TEXT_KINDS = ("narrative", "text")
# The rules live in plans.permissions; these names stay importable from here.
ASSURER_VISIBLE_STATUSES = list(permissions.ASSURER_VISIBLE_STATUSES)
EDITABLE_STATUSES = list(permissions.EDITABLE_STATUSES)
AREA_ROLES = list(permissions.AREA_READER_ROLES)


class PlanOutOfReach(RefusedAsNotFound):
    """No plan the user may read has this round and area. A 404, never a 403, so it does not even
    say whether the plan exists; accounts.security records it when it does (someone probing)."""

    def __init__(self, round_slug: str, ons_code: str):
        super().__init__("No such plan")
        self.round_slug, self.ons_code = round_slug, ons_code

    def audit_subject(self) -> Plan | None:
        return Plan.objects.filter(round__slug=self.round_slug, hwb_area__ons_code=self.ons_code).first()


def is_national_admin(user: User) -> bool:
    return bool(permissions.is_national_admin(user))


def plans_for_user(user: User) -> QuerySet[Plan]:
    """Every plan the user may read (plans.permissions "plans.view_plan"), as a queryset."""
    scope = permissions.readable_plans_filter(user)
    if scope is None:
        return Plan.objects.all()
    # none() is never compiled to SQL: the page of someone with no role yet asks nothing of the database.
    return Plan.objects.none() if scope == permissions.NO_PLANS else Plan.objects.filter(scope)


def get_plan_for_user(user: User, *, round_slug: str, ons_code: str) -> Plan:
    """The one scoped getter for a plan: 404 for anything outside the user's reach.

    The plan comes with its round and area; the area's region only as its id (no plan page shows
    the region, and joining it cost every page more than reading it where it is shown)."""
    try:
        return (
            plans_for_user(user)
            .select_related("round", "hwb_area")
            .get(round__slug=round_slug, hwb_area__ons_code=ons_code)
        )
    except Plan.DoesNotExist:
        raise PlanOutOfReach(round_slug, ons_code) from None


def can_edit_plan(user: User, plan: Plan) -> bool:
    """Commissioners of the plan's area edit it until it is submitted (rule "plans.change_plan")."""
    return permissions.can_edit_plan(user, plan)


def plan_list_for_user(user: User) -> list[Plan]:
    """The "Your plans" list with completed-section counts, in two queries (and two more per plan in a later phase)."""
    readable = plans_for_user(user)
    if isinstance(readable, EmptyQuerySet):
        return []  # not even compiled: building this query costs more than most pages' SQL
    plans = list(
        readable.select_related("round", "hwb_area")
        .annotate(
            # Optional front matter is not counted: the count says how far the plan is from complete.
            sections_total=Count("round__sections", filter=Q(round__sections__front_matter=False), distinct=True),
            sections_completed=Count(
                "section_progress",
                filter=Q(
                    section_progress__status=SectionProgress.Status.COMPLETED,
                    section_progress__section__front_matter=False,
                ),
                distinct=True,
            ),
        )
        .order_by("-round__final_deadline", "hwb_area__name")
    )
    # A plan in a later phase (a planning update) is asked for that phase's sections only.
    for plan in plans:
        if plan.phase_id is not None:
            sections = plan_sections(plan).required()
            plan.sections_total = sections.count()
            plan.sections_completed = SectionProgress.objects.filter(
                plan=plan, section__in=sections, status=SectionProgress.Status.COMPLETED
            ).count()
    return plans


OPTIONAL_LABEL = "Optional"


def plan_sections(plan: Plan) -> QuerySet[Section]:
    """The sections the plan is asked for in its current phase (every section of a round without phases)."""
    return Section.objects.of_phase(plan.round_id, plan.phase_id)


def round_sections(plan: Plan) -> list[Section]:
    """plan_sections(plan) in template order, each with its questions and national condition, from the
    round's cached configuration (rounds.config): no query. Shared between requests: never change them."""
    version = plan.round.config_version if Plan.round.is_cached(plan) else None
    return round_config(plan.round_id, version).sections_of_phase(plan.phase_id)


def plan_phase(plan: Plan) -> RoundPhase | None:
    """The phase the plan is in (the round's first when it has not moved on); None for a round without phases."""
    return RoundPhase.objects.current(plan.round_id, plan.phase_id)


def plan_for_task_list(plan: Plan) -> dict:
    """Sections of the plan's current phase in template order, each with its status, grouped by heading.

    Optional front matter comes first (it is first in the round's file), is labelled "Optional" until
    started, and is left out of the completed count.
    """
    sections = round_sections(plan)
    statuses = dict(SectionProgress.objects.filter(plan=plan).values_list("section_id", "status"))
    groups: list[dict] = []
    completed = required = 0
    for section in sections:
        status = statuses.get(section.pk, SectionProgress.Status.NOT_STARTED)
        if not section.front_matter:
            required += 1
            completed += status == SectionProgress.Status.COMPLETED
        heading = section.group_heading or section.heading
        if not groups or groups[-1]["heading"] != heading:
            groups.append({"heading": heading, "items": []})
        optional = section.front_matter and status == SectionProgress.Status.NOT_STARTED
        groups[-1]["items"].append(
            {
                "section": section,
                "status": "optional" if optional else status,
                "label": OPTIONAL_LABEL if optional else SectionProgress.Status(status).label,
                "url": section_url(plan, section),
            }
        )
    phase = plan_phase(plan) if plan.phase_id is not None else None
    return {
        "groups": groups,
        "completed": completed,
        "total": required,
        # A plan in a later phase (a planning update) is shown as that phase, with its own deadline.
        "phase": phase,
        "deadline": phase.deadline if phase is not None and phase.deadline else plan.round.final_deadline,
    }


# --- Authoring pages ---------------------------------------------------------------------

# Table sections whose rows are edited on another app's pages. Names, not imports, keep
# the layers clean: plans never imports schemes, finance or metrics.
TABLE_URL_NAMES = {
    Section.Table.SCHEMES: "schemes:list",
    Section.Table.INCOME: "finance:income",
    Section.Table.EXPENDITURE: "finance:expenditure",
    Section.Table.METRICS: "metrics:ambitions",
    Section.Table.CAPACITY_DEMAND: "capacity:tables",
}


def section_url(plan: Plan, section: Section) -> str:
    """Where a task-list item links: the section page, or the app page that holds its table."""
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    name = TABLE_URL_NAMES.get(section.table)
    if name:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            pass  # that app's page has not been built yet: the section page explains
    return reverse("plans:section", kwargs={**kwargs, "section_key": section.key})


def get_section(plan: Plan, section_key: str) -> Section:
    """One of the plan's sections (round_sections), with the plan's status on it (with_status)."""
    section = next((s for s in round_sections(plan) if s.key == section_key), None)
    if section is None:
        raise Http404("No such section")
    return with_status(plan, section)


def section_neighbours(plan: Plan, section: Section) -> dict:
    """The next section in template order (for "Save and continue") and the section's position."""
    ordered = list(plan_sections(plan).order_by("order").only("pk", "key", "table"))
    index = next(i for i, s in enumerate(ordered) if s.pk == section.pk)
    following = ordered[index + 1] if index + 1 < len(ordered) else None
    return {"next": following, "position": index + 1, "total": len(ordered)}


def next_section_url(plan: Plan, section: Section) -> str:
    following = section_neighbours(plan, section)["next"]
    if following is None:
        return reverse(
            "plans:check_answers", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
        )
    return section_url(plan, following)


def with_status(plan: Plan, section: Section) -> Section:
    """A copy of a cached section (round_sections) with what the plan holds for it, read in one statement
    (section_state): its status (`progress_status`) and whether it has any assurer's comments
    (`has_comments`), so the page can carry them without changing the copy other requests share.
    A plan with no figures at all is marked as such (figures.none_to_read), so its page reads none."""
    section = copy.copy(section)
    section.progress_status, section.has_comments, has_figures = section_state(plan, section)
    if not has_figures:
        figures.none_to_read(plan)
    return section


@functools.cache
def _section_state_sql() -> str:
    # Built from the models' own table and column names. The comments are governance's rows, reached
    # through the plan's reverse relation as section_comments reads them (plans may not import governance).
    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    def column(model, name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(name).column)

    comment = Plan.section_comments.rel.related_model
    # Only the models' own table and column names are interpolated; the values are parameters.
    return (
        f"SELECT (SELECT {column(SectionProgress, 'status')} FROM {table(SectionProgress)}"  # noqa: S608
        f" WHERE {column(SectionProgress, 'plan')} = %s AND {column(SectionProgress, 'section')} = %s),"
        f" EXISTS (SELECT 1 FROM {table(comment)}"
        f" WHERE {column(comment, 'plan')} = %s AND {column(comment, 'section')} = %s),"
        f" EXISTS (SELECT 1 FROM {table(Figure)} WHERE {column(Figure, 'plan')} = %s)"
    )


def section_state(plan: Plan, section: Section) -> tuple[str | None, bool, bool]:
    """(the section's status or None, whether it has comments, whether the plan has any figures).

    Three small reads that every section and table page needs, asked in one plain statement: built
    through the ORM they cost about three times as much to compile as to run (docs/performance.md,
    "Ninth look"). The statement is portable SQL (SQLite and PostgreSQL alike)."""
    with connection.cursor() as cursor:
        cursor.execute(_section_state_sql(), [plan.pk, section.pk, plan.pk, section.pk, plan.pk])
        status, has_comments, has_figures = cursor.fetchone()
    return status, bool(has_comments), bool(has_figures)


def table_section(plan: Plan, table: str) -> Section | None:
    """The task-list section a table page belongs to, with the plan's status on it (with_status)."""
    section = next((s for s in round_sections(plan) if s.table == table), None)
    return with_status(plan, section) if section is not None else None


def section_status(plan: Plan, section: Section) -> str:
    if hasattr(section, "progress_status"):  # read with the section (with_status)
        return section.progress_status or SectionProgress.Status.NOT_STARTED
    status = SectionProgress.objects.filter(plan=plan, section=section).values_list("status", flat=True).first()
    return status or SectionProgress.Status.NOT_STARTED


def section_comments(plan: Plan, section: Section) -> list:
    """The assurer's comments on one section, oldest first, for whichever page holds that section.

    Every section page reads them here: Part 1 and table pages in plans, and the schemes, finance
    and metrics pages that the task list links Part 2 sections to. The comments are governance's
    rows (a higher layer than all of those apps), so this one selector in the lowest layer reads them
    through the plan's reverse relation rather than any app importing governance (one query).
    """
    if getattr(section, "has_comments", True) is False:  # with_status found none
        return []
    return list(plan.section_comments.filter(section=section).select_related("author").order_by("created_at"))


def table_section_context(plan: Plan, table: str) -> dict:
    """For a page built on another app's table (income, expenditure, metrics): the task-list section
    it belongs to, the section's status and the assurer's comments on it, for its heading."""
    section = table_section(plan, table)
    if section is None:
        return {"section": None, "status": SectionProgress.Status.NOT_STARTED, "comments": []}
    return {
        "section": section,
        "status": section_status(plan, section),
        "comments": section_comments(plan, section),
    }


def section_for_editing(plan: Plan, section: Section) -> dict:
    """Everything a section page shows, in a fixed number of queries whatever the section holds."""
    # In order: prefetched so for a cached section (round_sections), by the models' default ordering otherwise.
    questions = list(section.questions.all())
    condition_questions = list(section.national_condition.questions.all()) if section.national_condition_id else []
    # A section that is only a table (schemes, risks, sign-off) has no questions to read answers for.
    answers = (
        {a.question_id: a for a in Answer.objects.filter(plan=plan, question__section=section)} if questions else {}
    )
    responses = (
        {r.question_id: r for r in ConditionResponse.objects.filter(plan=plan, question__in=condition_questions)}
        if condition_questions
        else {}
    )
    comments = section_comments(plan, section)
    status = section_status(plan, section)
    context = {
        "section": section,
        "questions": questions,
        "condition_questions": condition_questions,
        "answers": answers,
        "responses": responses,
        "comments": comments,
        "status": status,
        "status_label": SectionProgress.Status(status).label,
        "rows": [],
    }
    if section.table == Section.Table.DOCUMENTS:
        rows = list(RelatedDocument.objects.filter(plan=plan).order_by("order", "id"))
        context.update(table_rows(plan, Section.Table.DOCUMENTS, rows))
    elif section.table == Section.Table.RISKS:
        rows = list(Risk.objects.filter(plan=plan).select_related("rating").order_by("order", "id"))
        context.update(table_rows(plan, Section.Table.RISKS, rows))
    elif section.table == Section.Table.SIGNOFF:
        context["rows"] = signoff_slots(plan)
    return context


def table_rows(plan: Plan, table: str, rows: list, code_labels: dict | None = None) -> dict:
    """The round's columns of a risks or documents table, and each row with its cells (rounds.columns.cells)."""
    table_columns = plan.round.table_columns(table)
    if code_labels is None:
        code_labels = round_code_labels(plan.round_id)
    return {
        "columns": table_columns,
        "naming_key": NAMING_FIELD[table],
        "rows": [{"row": row, "cells": cells(table_columns, table, row, code_labels)} for row in rows],
    }


def round_code_labels(round_id: int) -> dict[tuple[str, str], str]:
    entries = CodeListEntry.objects.filter(round_id=round_id).values_list("list", "code", "label")
    return {(list_name, code): label for list_name, code, label in entries}


def signoff_slots(plan: Plan) -> list[dict]:
    """The round's sign-off slots, each with the area's organisation of that kind and any valid signature."""
    slots = list(SignOffSlot.objects.filter(round_id=plan.round_id).order_by("order"))
    organisations = list(plan.hwb_area.organisations.valid_in(plan.round))
    signatures = {s.slot_id: s for s in plan.signoffs.filter(voided_at__isnull=True)}
    return slot_rows(slots, organisations, signatures, area_name=plan.hwb_area.name)


def slot_rows(slots, organisations, signatures: dict, *, area_name: str) -> list[dict]:
    """Each slot with the organisation that signs it and its signature (by slot id), from rows already read."""
    rows = []
    for slot in slots:
        orgs = [o for o in organisations if slot.organisation_kind and o.kind == slot.organisation_kind]
        signature = signatures.get(slot.pk)
        rows.append(
            {
                "slot": slot,
                "organisation": (signature.organisation_name if signature and signature.organisation_name else None)
                or ", ".join(o.name for o in orgs)
                # The board's own slot names the area's Health and Wellbeing Board.
                or (
                    f"{area_name} Health and Wellbeing Board"
                    if slot.organisation_kind in ("", Organisation.Kind.OTHER)
                    else ""
                ),
                "signature": signature,
            }
        )
    return rows


RETURN_TO_CHECK = "check"


def _has_answer(answer: Answer | None) -> bool:
    """Something was given: a blank text counts as no answer."""
    if answer is None:
        return False
    return bool(answer.text.strip()) or any(v is not None for v in (answer.date, answer.money, answer.confirmed))


def check_answers(plan: Plan) -> dict:
    """The whole plan as summary lists, grouped by part and group heading, in a fixed number of queries.

    Each section has an anchor for the contents list and for the section page to return to; its
    "Change" links carry ?next=check when they lead to a section page. Optional front matter appears
    only once answered, and never counts as incomplete.
    """
    sections = list(
        plan_sections(plan)
        .select_related("national_condition")
        .prefetch_related("questions", "national_condition__questions")
        .order_by("order")
    )
    statuses = dict(SectionProgress.objects.filter(plan=plan).values_list("section_id", "status"))
    answers = {a.question_id: a for a in Answer.objects.filter(plan=plan)}
    responses = {r.question_id: r for r in ConditionResponse.objects.filter(plan=plan)}
    shared = (
        {s.question_id: s for s in SharedAnswer.objects.filter(group_id=plan.group_id).select_related("updated_by")}
        if plan.group_id
        else {}
    )
    code_labels = round_code_labels(plan.round_id)
    documents = list(RelatedDocument.objects.filter(plan=plan).order_by("order", "id"))
    documents = table_rows(plan, Section.Table.DOCUMENTS, documents, code_labels)
    risks = list(Risk.objects.filter(plan=plan).select_related("rating").order_by("order", "id"))
    risks = table_rows(plan, Section.Table.RISKS, risks, code_labels)
    plan_kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    items = []
    parts: list[dict] = []
    for section in sections:
        status = statuses.get(section.pk, SectionProgress.Status.NOT_STARTED)
        questions = sorted(section.questions.all(), key=lambda q: q.order)
        if section.front_matter and not any(_has_answer(answers.get(q.pk)) for q in questions):
            continue  # optional and not written: nothing to check
        rows = []
        for question in questions:
            row = {"label": question.label, "answer": answers.get(question.pk), "question": question}
            if section.shareable and plan.group_id and question.kind in SHARED_TEXT_KINDS:
                # An aligned plan: the group's shared text ("" before it is written), then the local addendum.
                row["shared"] = shared.get(question.pk) or ""
            rows.append(row)
        conditions = []
        if section.national_condition_id:
            for cq in sorted(section.national_condition.questions.all(), key=lambda q: q.order):
                conditions.append({"cq": cq, "response": responses.get(cq.pk)})
        url = section_url(plan, section)
        # Only the plan's own section pages know how to send the user back here after saving.
        own_page = reverse("plans:section", kwargs={**plan_kwargs, "section_key": section.key})
        change_url = f"{url}?next={RETURN_TO_CHECK}" if url == own_page else url
        item = {
            "section": section,
            "anchor": f"section-{section.key}",
            "status": status,
            "status_label": SectionProgress.Status(status).label,
            "url": url,
            "change_url": change_url,
            "rows": rows,
            "conditions": conditions,
            "documents": documents if section.table == Section.Table.DOCUMENTS else None,
            "risks": risks if section.table == Section.Table.RISKS else None,
        }
        items.append(item)
        if not parts or parts[-1]["number"] != section.part:
            parts.append(
                {
                    "number": section.part,
                    "title": section.get_part_display(),
                    "anchor": f"part-{section.part}",
                    "groups": [],
                }
            )
        groups = parts[-1]["groups"]
        heading = section.group_heading or section.heading
        if not groups or groups[-1]["heading"] != heading:
            groups.append(
                {"heading": heading, "anchor": f"part-{section.part}-group-{len(groups) + 1}", "sections": []}
            )
        groups[-1]["sections"].append(item)
    required = [i for i in items if not i["section"].front_matter]
    incomplete = [i for i in required if i["status"] != SectionProgress.Status.COMPLETED]
    return {
        "incomplete": incomplete,
        "sections": items,
        "parts": parts,
        "required": len(required),
        "completed": len(required) - len(incomplete),
    }


def _diff_html(old: str, new: str) -> SafeString:
    """A word-level diff with <del> and <ins>; every piece of text is escaped."""
    old_words, new_words = re.split(r"(\s+)", old or ""), re.split(r"(\s+)", new or "")
    parts = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(old_words[a1:a2])))
            continue
        if op in ("delete", "replace"):
            parts.append(f'<del class="app-diff__del">{escape("".join(old_words[a1:a2]))}</del>')
        if op in ("insert", "replace"):
            parts.append(f'<ins class="app-diff__ins">{escape("".join(new_words[b1:b2]))}</ins>')
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


# Tables of rows that an app above plans owns (schemes) are registered by that app when it is
# ready, so a section's history reads them without plans importing, or looking up, the app above.
TABLE_HISTORY: dict[str, tuple[str, type]] = {}


def register_table_history(table: str, kind: str, model: type) -> None:
    """Show `model`'s history (simple-history, with a `plan_id`) on the history page of `table` sections."""
    TABLE_HISTORY[table] = (kind, model)


HISTORY_FIELDS = {
    "answer": ["text", "date", "money", "confirmed"],
    "shared": ["text"],
    "condition": ["status", "target_date", "narrative"],
    "risk": ["description", "rating_id", "mitigating_actions", "owner", "values"],
    "document": ["ref", "title", "synopsis", "url", "original_filename", "values"],
    "scheme": [
        "reference",
        "name",
        "scheme_type_id",
        "sub_type_id",
        "description",
        "lead_commissioner_id",
        "provider",
        "area_of_spend_id",
        "is_new",
    ],
}
FIELD_LABELS = {
    "text": "Answer",
    "date": "Date",
    "money": "Amount",
    "confirmed": "Confirmed",
    "status": "Answer",
    "target_date": "Target date",
    "narrative": "Explanation",
    "description": "Description",
    "rating_id": "Risk rating",
    "mitigating_actions": "Mitigating actions",
    "owner": "Owner",
    "ref": "Reference",
    "title": "Title",
    "synopsis": "Synopsis",
    "url": "Link",
    "original_filename": "Uploaded file",
    "reference": "Reference",
    "name": "Name",
    "scheme_type_id": "Scheme type",
    "sub_type_id": "Sub-type",
    "lead_commissioner_id": "Lead commissioner",
    "provider": "Provider",
    "area_of_spend_id": "Area of spend",
    "is_new": "New scheme",
}


def _values_changes(old: dict, new: dict, table_columns: dict, code_labels: dict) -> list[dict]:
    changes = []
    for key in sorted(
        set(old) | set(new),
        key=lambda k: (k not in table_columns, list(table_columns).index(k) if k in table_columns else 0, k),
    ):
        column = table_columns.get(key)
        old_text = display(column, old.get(key), code_labels) if column else _display(old.get(key))
        new_text = display(column, new.get(key), code_labels) if column else _display(new.get(key))
        if old_text != new_text:
            label = column.heading if column else key
            changes.append({"label": label, "diff": _diff_html(old_text, new_text)})
    return changes


def section_history(plan: Plan, section: Section) -> list[dict]:
    """Every recorded change to the section's answers or rows, newest first, with who, when and a diff."""
    records: list[tuple[str, str, list]] = []  # (kind, object label, historical records oldest first)
    labels = {q.pk: q.label for q in section.questions.all()}
    if labels:
        history = Answer.history.filter(plan_id=plan.pk, question_id__in=labels).select_related("history_user")
        records.append(("answer", labels, list(history.order_by("history_date", "history_id"))))
        if plan.group_id and section.shareable:
            # An aligned plan: the group's shared text has its own history beside the plan's addendum.
            shared_labels = {pk: f"Shared text: {label}" for pk, label in labels.items()}
            shared_history = SharedAnswer.history.filter(group_id=plan.group_id, question_id__in=labels).select_related(
                "history_user"
            )
            records.append(("shared", shared_labels, list(shared_history.order_by("history_date", "history_id"))))
    if section.national_condition_id:
        cq_labels = {cq.pk: f"{cq.number} {cq.prompt}".strip() for cq in section.national_condition.questions.all()}
        history = ConditionResponse.history.filter(plan_id=plan.pk, question_id__in=cq_labels).select_related(
            "history_user"
        )
        records.append(("condition", cq_labels, list(history.order_by("history_date", "history_id"))))
    table_models = {
        Section.Table.RISKS: ("risk", Risk),
        Section.Table.DOCUMENTS: ("document", RelatedDocument),
        **TABLE_HISTORY,
    }
    if section.table in table_models:
        kind, model = table_models[section.table]
        history = model.history.filter(plan_id=plan.pk).select_related("history_user")
        records.append((kind, None, list(history.order_by("history_date", "history_id"))))
    code_labels = dict(CodeListEntry.objects.filter(round_id=plan.round_id).values_list("pk", "label"))
    # A round-defined column (in a row's `values`) is labelled with its heading.
    value_columns = {
        kind: {c.key: c for c in plan.round.table_columns(table)}
        for kind, table in (("risk", Section.Table.RISKS), ("document", Section.Table.DOCUMENTS))
    }
    choice_labels = (
        round_code_labels(plan.round_id) if section.table in (Section.Table.RISKS, Section.Table.DOCUMENTS) else {}
    )

    entries = []
    for kind, object_labels, history in records:
        previous: dict[int, object] = {}
        for record in history:
            before = previous.get(record.id)
            changes = []
            for attname in HISTORY_FIELDS[kind]:
                old = getattr(before, attname) if before is not None else None
                new = getattr(record, attname) if record.history_type != "-" else None
                if attname == "values":
                    changes += _values_changes(old or {}, new or {}, value_columns.get(kind, {}), choice_labels)
                    continue
                if attname.endswith("_id") and attname != "question_id":
                    old, new = code_labels.get(old, old), code_labels.get(new, new)
                old_text, new_text = _display(old), _display(new)
                if old_text != new_text:
                    changes.append({"label": FIELD_LABELS[attname], "diff": _diff_html(old_text, new_text)})
            previous[record.id] = record
            if object_labels is not None:
                subject = object_labels.get(record.question_id, "")
            else:
                subject = (
                    getattr(record, "title", None)
                    or getattr(record, "name", None)
                    or (getattr(record, "description", "") or "")[:80]
                )
            if not changes and record.history_type != "-":
                continue
            entries.append(
                {
                    "when": record.history_date,
                    "who": record.history_user,
                    "action": {"+": "Added", "~": "Changed", "-": "Removed"}[record.history_type],
                    "subject": subject,
                    "changes": changes,
                }
            )
    entries.sort(key=lambda e: e["when"], reverse=True)
    return entries
