"""Aligned plans: a group of areas' plans that write the round's shareable sections once.

A PlanGroup's members are the plans whose `group` it is. For a section the round marks
`shareable`, each question has the group's shared text (SharedAnswer) and each member plan's own
Answer, which is that plan's local addendum. Everything else (figures, schemes, finance, metrics,
sign-off) stays per plan.

Who may do what:
- a national administrator sets up a group of any plans of one round;
- a commissioner sets up a group holding their own area's plan, and invites other areas; an area's
  plan joins only when that area's own commissioner accepts (an invitation code bound to the area),
  so no area can pull another's plan in;
- any member area's commissioner writes the shared text; the write locks every member plan (in pk
  order), is refused while any member cannot be edited, and sends content_changed for each member,
  so every member's signatures are voided (governance listens).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import User
from accounts.permissions import allowed
from rounds.models import PlanningRound, Question, Section

from . import drafts, events, permissions
from .editing import FieldConflict, StaleEdit, history_user, plan_edit
from .markdown import check_markdown
from .models import Answer, Plan, PlanGroup, SharedAnswer

# Shared text is narrative: only text questions of a shareable section are written for the group.
SHARED_KINDS = (Question.Kind.NARRATIVE, Question.Kind.TEXT)
INVITATION_SALT = "plans.groups.invitation"
# An invitation is accepted within a fortnight, or asked for again.
INVITATION_MAX_AGE = 14 * 24 * 3600


def shared_form_key(section: Section) -> str:
    return f"shared:{section.key}"


def is_shared_section(plan: Plan, section: Section) -> bool:
    """Whether this section of this plan is written for its group (the plan is grouped, the section shareable)."""
    return bool(plan.group_id and section.shareable)


def shared_questions(section: Section) -> list[Question]:
    return [q for q in section.questions.order_by("order") if q.kind in SHARED_KINDS]


# --- Reads ---------------------------------------------------------------------------------


def group_members(group: PlanGroup) -> QuerySet[Plan]:
    return group.plans.select_related("hwb_area", "round").order_by("hwb_area__name")


def shared_answers(group_id: int | None, questions) -> dict[int, SharedAnswer]:
    """The group's shared answers to these questions, by question id (one query; none without a group)."""
    if not group_id:
        return {}
    rows = SharedAnswer.objects.filter(group_id=group_id, question__in=list(questions)).select_related("updated_by")
    return {row.question_id: row for row in rows}


def get_group_for_user(user: User, plan: Plan) -> PlanGroup:
    """The plan's group, for a user who may read the plan (the plan was fetched through the scoped getter)."""
    if plan.group_id is None:
        raise PermissionDenied("This plan is not in a group.")
    return plan.group


# --- Setting up a group ---------------------------------------------------------------------


@transaction.atomic
def create_group(*, user: User, name: str, plans: list[Plan]) -> PlanGroup:
    """Set up a group of plans of one round.

    A national administrator may group any plans of a round. A commissioner may set up a group
    of their own area's plan alone; other areas join by accepting an invitation.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError("Enter a name for the group.")
    if not plans:
        raise ValidationError("Choose at least one plan for the group.")
    rounds = {plan.round_id for plan in plans}
    if len(rounds) != 1:
        raise ValidationError("Every plan in a group must be of the same planning round.")
    by_admin = permissions.is_national_admin(user)
    if not by_admin and (len(plans) != 1 or not permissions.can_edit_plan(user, plans[0])):
        raise PermissionDenied("You can set up a group only for your own area's plan; invite the other areas.")
    group = PlanGroup.objects.create(round_id=rounds.pop(), name=name[:200], created_by=user)
    for plan in sorted(plans, key=lambda p: p.pk):
        _join(user=user, plan=plan, group=group, by_admin=by_admin)
    return group


def invitation_code(*, user: User, group: PlanGroup, plan: Plan) -> str:
    """A code the commissioner of `plan`'s area enters to join `group`; it is bound to that plan."""
    if not permissions.can_manage_group(user, group):
        raise PermissionDenied("You cannot invite areas to this group.")
    if plan.round_id != group.round_id:
        raise ValidationError("That plan is of another planning round.")
    if plan.group_id == group.pk:
        raise ValidationError(f"{plan.hwb_area.name} is already in this group.")
    return signing.dumps({"group": group.pk, "plan": plan.pk}, salt=INVITATION_SALT, compress=True)


@transaction.atomic
def accept_invitation(*, user: User, plan: Plan, code: str) -> PlanGroup:
    """The commissioner of `plan`'s area accepts an invitation: the plan joins the group."""
    try:
        data = signing.loads((code or "").strip(), salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError("This invitation has expired. Ask for a new one.") from None
    except signing.BadSignature:
        raise ValidationError("Enter the invitation code exactly as you were given it.") from None
    if not isinstance(data, dict) or data.get("plan") != plan.pk:
        raise ValidationError("This invitation is for another area's plan.")
    group = PlanGroup.objects.filter(pk=data.get("group")).first()
    if group is None:
        raise ValidationError("The group of this invitation no longer exists.")
    _join(user=user, plan=plan, group=group, by_admin=False)
    return group


def _join(*, user: User, plan: Plan, group: PlanGroup, by_admin: bool) -> None:
    """Put the plan in the group, losing none of its answers.

    Where the group has no shared text yet, the plan's own answer becomes the shared text (the
    first member's narrative seeds the group's); otherwise the plan's answer stays as its local
    addendum. Both are recorded in history, and content_changed is sent (its signatures bound the
    old content).
    """
    if plan.round_id != group.round_id:
        raise ValidationError("That plan is of another planning round.")
    editor = _admin_edit if by_admin else plan_edit
    with editor(user=user, plan=plan) as edit:
        locked = edit.plan
        if locked.group_id is not None:
            raise ValidationError(f"{locked.hwb_area.name}'s plan is already in a group: it must leave that one first.")
        locked.group = group
        locked.save(update_fields=["group", "updated_at"])
        edit.changed(f"joined the group {group.name}")
        for answer in seed_shared_text(plan=locked, group=group, user=user):
            edit.save(answer, cause="answer moved to the group's shared text")


def seed_shared_text(*, plan: Plan, group: PlanGroup, user: User | None) -> list[Answer]:
    """Where the group has no shared text yet, the plan's own answer becomes it (call with the plan locked).

    Returns the plan's answers, emptied, for the caller to save (they keep their history).
    """
    sections = Section.objects.filter(round_id=plan.round_id, shareable=True)
    questions = [q for s in sections for q in shared_questions(s)]
    existing = shared_answers(group.pk, questions)
    moved = []
    for answer in Answer.objects.select_for_update().filter(plan=plan, question__in=questions):
        if answer.question_id in existing or not answer.text.strip():
            continue
        SharedAnswer.objects.create(group=group, question=answer.question, text=answer.text, updated_by=user)
        answer.text = ""
        answer.updated_by = user
        moved.append(answer)
    return moved


class _AdminPlanEdit:
    """Like plans.editing.PlanEdit, for a national administrator grouping plans (they edit no content)."""

    def __init__(self, plan: Plan, user: User):
        self.plan, self.user, self.causes = plan, user, []

    def save(self, instance, *, cause: str = "") -> None:
        if instance.pk is not None and hasattr(instance, "version"):
            instance.version += 1
        instance.save()
        self.causes.append(cause or "changed")

    def changed(self, cause: str) -> None:
        self.causes.append(cause)


@contextmanager
def _admin_edit(*, user: User, plan: Plan) -> Iterator[_AdminPlanEdit]:
    """Like plan_edit, for a national administrator grouping plans: locked, refused once submitted."""
    with transaction.atomic(), history_user(user):
        locked = Plan.objects.select_for_update(of=("self",)).select_related("round", "hwb_area").get(pk=plan.pk)
        if locked.status not in permissions.EDITABLE_STATUSES:
            raise ValidationError(f"{locked.hwb_area.name}'s plan is {locked.get_status_display().lower()}.")
        edit = _AdminPlanEdit(locked, user)
        yield edit
        if edit.causes:
            events.content_changed(plan=locked, actor=user, cause=", ".join(dict.fromkeys(edit.causes)))


@transaction.atomic
def leave_group(*, user: User, plan: Plan) -> None:
    """The plan leaves its group; the shared text is copied into its own answers, so it keeps its narrative."""
    by_admin = permissions.is_national_admin(user)
    editor = _admin_edit if by_admin else plan_edit
    with editor(user=user, plan=plan) as edit:
        locked = edit.plan
        group = locked.group
        if group is None:
            raise ValidationError("This plan is not in a group.")
        sections = Section.objects.filter(round_id=locked.round_id, shareable=True)
        questions = [q for s in sections for q in shared_questions(s)]
        shared = shared_answers(group.pk, questions)
        own = {a.question_id: a for a in Answer.objects.select_for_update().filter(plan=locked, question__in=questions)}
        for question in questions:
            text = shared[question.pk].text if question.pk in shared else ""
            if not text.strip():
                continue
            answer = own.get(question.pk) or Answer(plan=locked, question=question)
            addendum = answer.text.strip()
            answer.text = f"{text}\n\n{addendum}" if addendum else text
            answer.updated_by = user
            edit.save(answer, cause="the group's shared text copied into the plan")
        locked.group = None
        locked.save(update_fields=["group", "updated_at"])
        edit.changed(f"left the group {group.name}")


# --- Writing the shared text ----------------------------------------------------------------


@dataclass(frozen=True)
class SharedEdit:
    """A shared question's new text and the SharedAnswer version the user loaded."""

    value: str
    version: int = 0


def frozen_members(members) -> list[Plan]:
    """The member plans whose content cannot change now (with NHS England), which freeze the shared text."""
    return [m for m in members if m.status not in permissions.EDITABLE_STATUSES]


def frozen_message(blocked: list[Plan]) -> str:
    named = ", ".join(f"{m.hwb_area.name} ({m.get_status_display().lower()})" for m in blocked)
    return (
        f"The shared text cannot change while a member's plan is with NHS England: {named}. "
        "It can change once that plan is returned for changes."
    )


def save_shared_section(*, user: User, group: PlanGroup, section: Section, answers: dict) -> int:
    """Write the group's shared text of one shareable section, for every member plan at once.

    `answers` maps question key → an edit with `value` and `version` (plans.services.AnswerEdit).
    Locks every member plan in pk order, refuses (naming the plan) if any member cannot be edited
    now, refuses a save over a newer one (StaleEdit with FieldConflict, nothing written), records
    history with its author, and sends content_changed for each member plan, so governance voids
    every member's signatures. Returns how many answers were written.
    """
    if not section.shareable or section.round_id != group.round_id:
        raise ValidationError("This section is not shared in this group's round.")
    with transaction.atomic(), history_user(user):
        members = list(
            Plan.objects.select_for_update(of=("self",)).select_related("hwb_area").filter(group=group).order_by("pk")
        )
        if not permissions.can_edit_shared_text(user, group):
            raise PermissionDenied("You cannot change this group's shared text.")
        blocked = frozen_members(members)
        if blocked:
            raise ValidationError(frozen_message(blocked))
        questions = {q.key: q for q in shared_questions(section)}
        current = {
            row.question_id: row
            for row in SharedAnswer.objects.select_for_update().filter(group=group, question__in=questions.values())
        }
        conflicts, writes = [], []
        for key, edit in answers.items():
            question = questions.get(key)
            if question is None:
                continue
            check_markdown(edit.value, subject="The shared text", field=key)
            row = current.get(question.pk)
            stored = row.text if row else ""
            if edit.value == stored:
                continue
            if row is not None and row.version != edit.version:
                conflicts.append(FieldConflict(key, "text", question.label, stored, edit.value, _who(row.updated_by)))
                continue
            writes.append((question, row, edit.value))
        if conflicts:
            raise StaleEdit(conflicts)
        for question, row, value in writes:
            if row is None:
                row = SharedAnswer(group=group, question=question)
            else:
                row.version += 1
            row.text = value
            row.updated_by = user
            row.save()
        if writes:
            cause = f"shared text of ‘{section.title}’ changed for the group {group.name}"
            for member in members:
                events.content_changed(plan=member, actor=user, cause=cause)
        for member in members:
            drafts.discard_draft(user=user, plan=member, form_key=shared_form_key(section))
    return len(writes)


def _who(user) -> str:
    return str(user) if user else "someone else"


def round_plans_outside_groups(group_round: PlanningRound) -> QuerySet[Plan]:
    """Plans of the round not yet in any group: who a member may invite, or an administrator may group."""
    return (
        Plan.objects.filter(round=group_round, group__isnull=True).select_related("hwb_area").order_by("hwb_area__name")
    )


def may_read_group(user: User, group: PlanGroup) -> bool:
    return allowed(user, "plans.view_group", group)


def shared_context(user: User, plan: Plan, section: Section) -> dict | None:
    """What a grouped plan's shareable section page shows of the shared text (None elsewhere)."""
    if not is_shared_section(plan, section):
        return None
    group = plan.group
    questions = shared_questions(section)
    answers = shared_answers(group.pk, questions)
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, "section_key": section.key}
    members = list(group_members(group))
    frozen = frozen_members(members)
    return {
        "group": group,
        "members": members,
        # Said before anyone types: the shared text cannot change while a member plan is with NHS England.
        "frozen_message": frozen_message(frozen) if frozen else "",
        "rows": [{"question": q, "answer": answers.get(q.pk)} for q in questions],
        "can_edit": permissions.can_edit_shared_text(user, group) and permissions.can_edit_plan(user, plan),
        "edit_url": reverse("plans:shared_section", kwargs=kwargs),
    }


def with_shared_text(plan: Plan, section: Section, answers: dict) -> dict:
    """Answers by question id, a question with no own answer counting the group's shared text.

    A required question of a shared section is answered if the shared text or the addendum is.
    """
    if not is_shared_section(plan, section):
        return answers
    merged = dict(answers)
    for question_id, row in shared_answers(plan.group_id, shared_questions(section)).items():
        own = merged.get(question_id)
        if (own is None or (isinstance(own, str) and not own.strip())) and row.text.strip():
            merged[question_id] = row.text
    return merged
