"""Every change to a plan's workflow state: sign-off, submission, assurance and reopening.

Each service locks the plan row (select_for_update), checks the transition in workflow.TRANSITIONS
and who is asking, does its work and appends a PlanEvent. A refused attempt raises
PermissionDenied and is itself recorded as a "transition_refused" event, written after the
refused work has been rolled back so the record survives. That is why these services open their
transaction inside `_guarded` rather than with @transaction.atomic: an outer atomic block would
roll the record of the refusal back along with the refused work.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.text import Truncator

from accounts import security
from accounts.models import Membership, User
from finance import rules
from finance.selectors import live_figures, part_two_for_plan
from plans import permissions
from plans import services as plan_services
from plans.models import Plan, SectionProgress
from plans.selectors import plan_phase, plan_sections
from rounds.models import KeyLineOfEnquiry, Organisation, OutcomeCategory, RoundPhase, Section, SignOffSlot

from . import notifications, submission_files, workflow
from .models import KloeRating, PlanEvent, Review, ReviewCondition, SectionComment, SignOff, SignoffContent, Submission
from .snapshots import canonical_json, plan_content, plan_content_hash, plan_snapshot, sha256_hex

S = Plan.Status
REFUSED = "transition_refused"


class _Refused(Exception):
    pass


def _lock(plan: Plan) -> Plan:
    return Plan.objects.select_for_update().select_related("round", "hwb_area__region").get(pk=plan.pk)


def record_event(
    *, plan: Plan | None, actor: User | None, action: str, from_status="", to_status="", comment="", detail=None
) -> PlanEvent:
    """Append a workflow event; those that belong in the security log (signed, submitted…) are copied there."""
    event = PlanEvent.objects.create(
        plan=plan,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        detail=detail or {},
    )
    security.record_workflow_event(event)
    return event


def _guarded(
    name: str, *, user: User, plan: Plan, work: Callable[[Plan, workflow.Transition], object], check_state=True
):
    """Run `work` on the locked plan if `user` may make transition `name` now; else record and refuse."""
    transition = workflow.TRANSITIONS[name]
    try:
        with transaction.atomic():
            locked = _lock(plan)
            if not workflow.may(user, transition, locked):
                raise _Refused(f"You cannot {transition.label.lower()} for this plan.")
            if check_state and locked.status not in transition.sources:
                raise _Refused(
                    f"You cannot {transition.label.lower()} while the plan is {locked.get_status_display().lower()}."
                )
            return work(locked, transition)
    except _Refused as refusal:
        with transaction.atomic():
            current = Plan.objects.only("status").get(pk=plan.pk).status
            record_event(
                plan=plan,
                actor=user,
                action=REFUSED,
                from_status=current,
                to_status=transition.target,
                comment=str(refusal),
                detail={"transition": name, "roles": sorted(workflow.roles_for(user, plan))},
            )
        raise PermissionDenied(str(refusal)) from None


def _move(plan: Plan, transition: workflow.Transition, *, actor, target="", comment="", detail=None) -> PlanEvent:
    from_status = plan.status
    plan.status = target or transition.target
    fields = ["status", "updated_at"]
    if transition.new_version:
        plan.version += 1
        fields.append("version")
    plan.save(update_fields=fields)
    return record_event(
        plan=plan,
        actor=actor,
        action=transition.name,
        from_status=from_status,
        to_status=plan.status,
        comment=comment,
        detail={"version": plan.version, **(detail or {})},
    )


def _void_all(plan: Plan) -> list[SignOff]:
    valid = list(SignOff.objects.filter(plan=plan, voided_at__isnull=True).select_related("signed_by"))
    if valid:
        SignOff.objects.filter(pk__in=[s.pk for s in valid]).update(voided_at=timezone.now())
        # The sign-off section is complete only while its signatures stand.
        SectionProgress.objects.filter(
            plan=plan, section__table=Section.Table.SIGNOFF, status=SectionProgress.Status.COMPLETED
        ).update(status=SectionProgress.Status.IN_PROGRESS)
    return valid


# --- Checks ---------------------------------------------------------------------------------


def incomplete_sections(plan: Plan) -> list[Section]:
    """Required sections not yet marked completed (the sign-off section is judged by its signatures
    instead; optional front matter never holds a plan back)."""
    done = SectionProgress.objects.filter(plan=plan, section=OuterRef("pk"), status=SectionProgress.Status.COMPLETED)
    required = plan_sections(plan).required().exclude(table=Section.Table.SIGNOFF)
    return list(required.filter(~Exists(done)).order_by("order"))


def failed_rules(plan: Plan) -> list[rules.RuleResult]:
    # Live: another area's submitted share of an ICB allocation counts against this plan's.
    return [r for r in rules.check_all(live_figures(part_two_for_plan(plan))) if not r.passed]


def valid_signoffs(plan: Plan, content_hash: str | None = None) -> dict[int, SignOff]:
    """Signatures, by slot id, that are not voided and still match the plan's content."""
    content_hash = content_hash or plan_content_hash(plan)
    return {
        s.slot_id: s
        for s in SignOff.objects.filter(plan=plan, voided_at__isnull=True).select_related("slot")
        if s.content_hash == content_hash
    }


def unsigned_slots(plan: Plan, content_hash: str | None = None) -> list[SignOffSlot]:
    signed = valid_signoffs(plan, content_hash)
    return [
        slot for slot in SignOffSlot.objects.filter(round_id=plan.round_id).order_by("order") if slot.pk not in signed
    ]


def submission_problems(plan: Plan) -> list[str]:
    """Everything that stops the plan being submitted, in plain English; empty when it can go."""
    problems = [f"Complete the section ‘{s.title}’" for s in incomplete_sections(plan)]
    problems += [r.message for r in failed_rules(plan)]
    problems += [f"Get the plan signed: {slot.title}" for slot in unsigned_slots(plan)]
    if not SignOffSlot.objects.filter(round_id=plan.round_id).exists():
        problems.append("This round has no sign-off slots set up; ask a national administrator.")
    return problems


# --- Sign-off -------------------------------------------------------------------------------


def send_for_signoff(*, user: User, plan: Plan, comment: str = "") -> Plan:
    def work(locked: Plan, transition):
        missing = incomplete_sections(locked)
        if missing:
            raise ValidationError(
                [f"Complete the section ‘{s.title}’ before sending the plan for sign-off" for s in missing]
            )
        # Signatures from before (e.g. historical ones loaded as demo data) do not sign this version.
        stale = _void_all(locked)
        # What the signatories will read, kept to show any of them whose page goes out of date what changed.
        content = plan_content(locked)
        content_hash = sha256_hex(canonical_json(content))
        SignoffContent.objects.get_or_create(plan=locked, content_hash=content_hash, defaults={"content": content})
        _move(
            locked,
            transition,
            actor=user,
            comment=comment,
            detail={"voided": [s.pk for s in stale], "content_hash": content_hash},
        )
        notifications.ready_for_signoff(locked)
        return locked

    return _guarded("send_for_signoff", user=user, plan=plan, work=work)


def withdraw_from_signoff(*, user: User, plan: Plan, comment: str = "") -> Plan:
    def work(locked: Plan, transition):
        voided = _void_all(locked)
        _move(locked, transition, actor=user, comment=comment, detail={"voided": [s.pk for s in voided]})
        if voided:
            notifications.signatures_voided(locked, notifications.user_emails([s.signed_by for s in voided]))
        return locked

    return _guarded("withdraw_from_signoff", user=user, plan=plan, work=work)


@dataclass
class Signature:
    signatory_name: str
    position: str = ""
    signed_on: datetime.date | None = None
    under_delegation: bool = False
    delegating_body: str = ""
    delegation_date: datetime.date | None = None
    delegation_minute_ref: str = ""


class PlanChangedSinceSeen(ValidationError):
    """The plan's content is not what the signatory's page showed: they must see the change and sign again."""

    def __init__(self, *, seen_content_hash: str, content_hash: str):
        super().__init__(
            "The plan has changed since you opened this page. Check what has changed, then sign again if you agree."
        )
        self.seen_content_hash = seen_content_hash
        self.content_hash = content_hash


def _date_signed_errors(plan: Plan, signature: Signature, signed_on: datetime.date) -> dict[str, str]:
    """Dates a signature cannot truly bear, by the Signature field they are in.

    The round has no opening date, so the earliest true date is the day the plan was started here:
    no one signed it before it existed.
    """
    errors = {}
    started = timezone.localdate(plan.created_at)
    if signed_on > timezone.localdate():
        errors["signed_on"] = "The date signed must be today or in the past"
    elif signed_on < started:
        errors["signed_on"] = (
            f"The date signed must be the same as or after {started:%-d %B %Y}, when the plan was started"
        )
    if signature.under_delegation and signature.delegation_date and signature.delegation_date > signed_on:
        errors["delegation_date"] = "The date of the delegating decision must be the same as or before the date signed"
    return errors


def sign_plan(*, user: User, plan: Plan, slot_code: str, signature: Signature, seen_content_hash: str) -> SignOff:
    """Sign one slot, binding the signature to the plan's content hash; the last signature signs the plan off.

    `seen_content_hash` is the hash of the content the signatory was shown: if the plan has changed
    since, nothing is signed and PlanChangedSinceSeen says so.
    """
    complete = workflow.TRANSITIONS["complete_signoff"]

    def work(locked: Plan, transition):
        if slot_code not in workflow.slot_codes_for(user, locked):
            raise _Refused("You do not hold this sign-off for the plan's area.")
        slot = SignOffSlot.objects.filter(round_id=locked.round_id, code=slot_code).first()
        if slot is None:
            raise _Refused("This round has no such sign-off.")
        if SignOff.objects.filter(plan=locked, slot=slot, voided_at__isnull=True).exists():
            raise ValidationError("This part of the sign-off has already been signed.")
        content_hash = plan_content_hash(locked)
        if seen_content_hash != content_hash:
            raise PlanChangedSinceSeen(seen_content_hash=seen_content_hash, content_hash=content_hash)
        if signature.under_delegation and not (
            signature.delegating_body and signature.delegation_date and signature.delegation_minute_ref
        ):
            raise ValidationError("Enter the delegating body, the date of its decision and the minute reference")
        signed_on = signature.signed_on or timezone.localdate()
        date_errors = _date_signed_errors(locked, signature, signed_on)
        if date_errors:
            raise ValidationError(date_errors)
        organisation = (
            Organisation.objects.valid_in(locked.round)
            .filter(hwb_areas=locked.hwb_area_id, kind=slot.organisation_kind)
            .first()
            if slot.organisation_kind
            else None
        )
        signoff = SignOff.objects.create(
            plan=locked,
            slot=slot,
            organisation=organisation,
            organisation_name=organisation.name if organisation else "",
            signed_by=user,
            signatory_name=signature.signatory_name,
            position=signature.position if slot.has_position else "",
            signed_on=signed_on,
            content_hash=content_hash,
            under_delegation=signature.under_delegation,
            delegating_body=signature.delegating_body if signature.under_delegation else "",
            delegation_date=signature.delegation_date if signature.under_delegation else None,
            delegation_minute_ref=signature.delegation_minute_ref if signature.under_delegation else "",
        )
        record_event(
            plan=locked,
            actor=user,
            action="signed",
            from_status=locked.status,
            to_status=locked.status,
            comment=f"{slot.title}: {signoff.signatory_name}",
            detail={"slot": slot.code, "content_hash": content_hash, "under_delegation": signoff.under_delegation},
        )
        if not unsigned_slots(locked, content_hash):
            _move(locked, complete, actor=user, comment="Every sign-off slot is signed.")
            SectionProgress.objects.filter(plan=locked, section__table=Section.Table.SIGNOFF).update(
                status=SectionProgress.Status.COMPLETED
            )
        return signoff

    # Signing is part of the "complete sign-off" step: signatories only, while ready for sign-off.
    return _guarded("complete_signoff", user=user, plan=plan, work=work)


def void_signatures_after_edit(*, plan: Plan, actor: User | None = None, cause: str = "", **kwargs) -> bool:
    """An edit to a plan awaiting or holding signatures voids them all and returns it to Draft.

    Governance's reaction to plans.events.plan_content_changed, which every service that changes a
    plan's content sends inside its transaction. Every signatory of the plan's area is told (after
    commit), not only those whose signatures were voided. Returns whether anything was voided.
    """
    # Signatures recorded without a hash (historical ones loaded as demo data) bind to nothing.
    signed = SignOff.objects.filter(plan=OuterRef("pk"), voided_at__isnull=True).exclude(content_hash="")
    if (
        not Plan.objects.filter(pk=plan.pk)
        .alias(has_signatures=Exists(signed))
        .filter(Q(status__in=workflow.SIGNING_STATUSES) | Q(status=S.DRAFT, has_signatures=True))
        .exists()
    ):
        return False
    with transaction.atomic():
        locked = _lock(plan)
        _void_all(locked)
        transition = workflow.TRANSITIONS["void_signatures"]
        comment = "The plan was changed after it was sent for sign-off, so every signature was removed."
        if locked.status in transition.sources:
            _move(locked, transition, actor=actor, comment=comment, detail={"cause": cause})
        else:
            record_event(plan=locked, actor=actor, action="signatures_voided", comment=comment, detail={"cause": cause})
        notifications.signatures_voided(locked, notifications.area_signatories(locked))
    # The caller's plan object is the one it goes on using: keep its status true.
    plan.status, plan.version = locked.status, locked.version
    return True


# --- Submission -----------------------------------------------------------------------------


def submit_plan(*, user: User, plan: Plan, comment: str = "") -> Submission:
    """Freeze the signed-off plan as an immutable Submission; a worker renders its PDF and workbook after commit.

    Rendering a big plan takes longer than a web request may last, so the request only freezes
    the snapshot. The plan cannot move on until the files are recorded (_require_submitted_files),
    so the worker renders it exactly as submitted.
    """

    def work(locked: Plan, transition):
        problems = submission_problems(locked)
        if problems:
            raise ValidationError(problems)
        now = timezone.now()
        is_late = now > phase_deadline(locked)
        _move(locked, transition, actor=user, comment=comment, detail={"is_late": is_late})
        snapshot = plan_snapshot(locked)
        submission = Submission.objects.create(
            plan=locked,
            version=locked.version,
            snapshot=snapshot,
            snapshot_sha256=sha256_hex(canonical_json(snapshot)),
            submitted_by=user,
            submitted_at=now,
            is_late=is_late,
            phase=locked.phase,
            files_status=Submission.FilesStatus.RENDERING,
            files_updated_at=now,
        )
        transaction.on_commit(lambda: submission_files.enqueue(submission.pk), robust=True)
        notifications.submitted(locked, is_late=is_late)
        return submission

    return _guarded("submit", user=user, plan=plan, work=work)


def _require_submitted_files(plan: Plan) -> None:
    """The worker renders the submitted version from the plan itself: the plan waits until its files exist."""
    submission = Submission.objects.filter(plan=plan, version=plan.version).first()
    if submission is None or submission.files_status == Submission.FilesStatus.DONE:
        return
    if submission_files.may_retry(submission):
        raise ValidationError(
            "The submitted PDF and workbook could not be created. Create them again from the plan's "
            "sign-off and submission page, then try again."
        )
    raise ValidationError("The submitted PDF and workbook are still being created. Try again in a few minutes.")


def retry_submission_files(*, user: User, plan: Plan, version: int) -> Submission:
    """Ask the worker again for a submission's files when the last render failed or stopped."""
    if not permissions.allowed(user, "plans.retry_submission_files", plan):
        raise PermissionDenied("You cannot create this plan's submitted files.")
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(plan=plan, version=version)
        if not submission_files.may_retry(submission):
            return submission
        Submission.objects.filter(pk=submission.pk).record_rendering(
            files_status=Submission.FilesStatus.RENDERING, files_tries=0, files_updated_at=timezone.now()
        )
        record_event(
            plan=plan,
            actor=user,
            action="submission_files_retried",
            comment=f"Version {version}",
            detail={"version": version, "error": submission.files_error},
        )
        transaction.on_commit(lambda: submission_files.enqueue(submission.pk), robust=True)
    return Submission.objects.get(pk=submission.pk)


def latest_submission(plan: Plan) -> Submission | None:
    return Submission.objects.filter(plan=plan).order_by("-version").first()


# --- Assurance ------------------------------------------------------------------------------


def _open_review(locked: Plan, user: User) -> Review:
    submission = latest_submission(locked)
    review = Review.objects.filter(submission=submission, decided_at__isnull=True).first()
    return review or Review.objects.create(submission=submission, assurer=user)


def start_review(*, user: User, plan: Plan) -> Review:
    def work(locked: Plan, transition):
        _require_submitted_files(locked)
        _move(locked, transition, actor=user)
        return _open_review(locked, user)

    return _guarded("start_review", user=user, plan=plan, work=work)


def _ensure_in_assurance(user: User, plan: Plan) -> None:
    """Rating a submitted plan starts its assurance."""
    if Plan.objects.filter(pk=plan.pk, status=S.SUBMITTED).exists():
        start_review(user=user, plan=plan)


def rate_kloes(*, user: User, plan: Plan, ratings: dict[int, tuple[str, str]]) -> Review:
    """Record ratings: KLOE id → (met / partly met / not met, comment)."""
    _ensure_in_assurance(user, plan)

    def work(locked: Plan, transition):
        review = _open_review(locked, user)
        kloes = {k.pk: k for k in KeyLineOfEnquiry.objects.filter(round_id=locked.round_id)}
        for kloe_id, (rating, comment) in ratings.items():
            if kloe_id not in kloes or rating not in KloeRating.Rating.values:
                raise ValidationError("Select met, partly met or not met for each key line of enquiry")
            KloeRating.objects.update_or_create(
                review=review, kloe_id=kloe_id, defaults={"rating": rating, "comment": comment}
            )
        record_event(
            plan=locked,
            actor=user,
            action="kloes_rated",
            from_status=locked.status,
            to_status=locked.status,
            detail={kloes[k].code: r for k, (r, _) in ratings.items()},
        )
        return review

    return _guarded("decide", user=user, plan=plan, work=work)


def comment_on_section(*, user: User, plan: Plan, section: Section, text: str) -> SectionComment:
    def work(locked: Plan, transition):
        if locked.status not in workflow.ASSURANCE_STATUSES:
            raise _Refused("Assurers comment on a plan once it has been submitted.")
        if section.round_id != locked.round_id:
            raise ValidationError("Choose a section of this plan")
        if not text.strip():
            raise ValidationError("Enter your comment")
        comment = SectionComment.objects.create(plan=locked, section=section, author=user, text=text.strip())
        record_event(
            plan=locked,
            actor=user,
            action="section_commented",
            from_status=locked.status,
            to_status=locked.status,
            detail={"section": section.key},
        )
        return comment

    # Assurers comment while the plan is with them; the "decide" transition names who that is.
    return _guarded("decide", user=user, plan=plan, work=work, check_state=False)


@dataclass
class Condition:
    text: str
    due_date: datetime.date


def decide(
    *, user: User, plan: Plan, outcome: OutcomeCategory, summary: str = "", conditions: list[Condition] = ()
) -> Review:
    """Record the assurance outcome; every KLOE must be rated, and conditions given where the outcome needs them."""
    _ensure_in_assurance(user, plan)

    def work(locked: Plan, transition):
        if outcome.round_id != locked.round_id:
            raise ValidationError("Choose an outcome from this round")
        review = _open_review(locked, user)
        unrated = KeyLineOfEnquiry.objects.filter(round_id=locked.round_id).exclude(
            pk__in=review.ratings.values("kloe_id")
        )
        if unrated.exists():
            raise ValidationError(
                [f"Rate the key line of enquiry ‘{k.code} {k.title}’ before recording the outcome" for k in unrated]
            )
        if outcome.requires_conditions and not conditions:
            raise ValidationError("Enter at least one condition, with the date it must be met by")
        decided_at = timezone.now()
        decided_on = timezone.localdate(decided_at)
        # A condition falls due after the decision that sets it, never on or before it.
        overdue = [c for c in conditions if c.due_date <= decided_on]
        if overdue:
            raise ValidationError(
                [
                    f"Enter a date after {decided_on:%-d %B %Y}, the date of this decision, for the condition "
                    f"‘{Truncator(c.text).words(12)}’"
                    for c in overdue
                ]
            )
        for condition in conditions:
            ReviewCondition.objects.create(review=review, text=condition.text, due_date=condition.due_date)
        review.outcome = outcome
        review.summary = summary
        review.assurer = user
        review.decided_at = decided_at
        review.save()
        _move(
            locked,
            transition,
            actor=user,
            target=workflow.target_for_outcome(outcome),
            comment=summary,
            detail={"outcome": outcome.code, "conditions": len(conditions)},
        )
        notifications.decided(locked, outcome.label)
        return review

    return _guarded("decide", user=user, plan=plan, work=work)


def return_for_changes(*, user: User, plan: Plan, comment: str) -> Plan:
    """Send a submission back: the plan reopens as a new version, in draft, and its signatures lapse."""
    if not comment.strip():
        raise ValidationError("Enter what needs to change")

    def work(locked: Plan, transition):
        _require_submitted_files(locked)
        _void_all(locked)
        _move(locked, transition, actor=user, comment=comment.strip())
        notifications.returned(locked, comment.strip())
        return locked

    return _guarded("return_for_changes", user=user, plan=plan, work=work)


def start_next_phase(*, user: User | None, plan: Plan, comment: str = "") -> Plan:
    """Move an approved plan into its round's next phase (the planning update against it).

    The plan becomes a new version, in draft, asked for the phase's sections; the approved
    submission stays exactly as it was (submissions never change). The plan's content carries over,
    so the phase's sections start pre-filled from the approved plan (plans.services.start_phase_sections).
    A national administrator does this, or the portal (user None) when the phase opens.
    """

    def work(locked: Plan, transition):
        phase = RoundPhase.objects.following(locked.round_id, locked.phase_id)
        if phase is None:
            raise ValidationError("This round has no later phase to move the plan to.")
        voided = _void_all(locked)
        locked.phase = phase
        locked.save(update_fields=["phase"])
        _move(
            locked,
            transition,
            actor=user,
            comment=comment or f"{phase.name} started",
            detail={"phase": phase.key, "voided": [s.pk for s in voided]},
        )
        plan_services.start_phase_sections(plan=locked, actor=user)
        return locked

    return _guarded("start_next_phase", user=user, plan=plan, work=work)


def open_due_phases(*, now: datetime.datetime | None = None) -> list[Plan]:
    """Move every approved plan whose round's next phase has opened into it (the portal's own step)."""
    now = now or timezone.now()
    moved = []
    for phase in RoundPhase.objects.filter(opens_at__lte=now, order__gt=1).order_by("round_id", "order"):
        earlier = RoundPhase.objects.filter(round_id=phase.round_id, order__lt=phase.order).order_by("-order").first()
        # The plan is in the phase just before: its own phase, or (blank) the first.
        in_earlier = Q(phase=earlier) | Q(phase__isnull=True) if earlier.order == 1 else Q(phase=earlier)
        for plan in Plan.objects.filter(
            in_earlier, round_id=phase.round_id, status__in=[S.APPROVED, S.APPROVED_WITH_CONDITIONS]
        ):
            moved.append(start_next_phase(user=None, plan=plan))
    return moved


def phase_deadline(plan: Plan) -> datetime.datetime:
    """The deadline of the phase the plan is in: the round's final deadline unless the phase has its own."""
    phase = plan_phase(plan)
    return phase.effective_deadline if phase is not None else plan.round.final_deadline


def reopen_for_resubmission(*, user: User, plan: Plan, comment: str = "") -> Plan:
    """A plan not approved is reworked and resubmitted as a new version."""

    def work(locked: Plan, transition):
        _void_all(locked)
        _move(locked, transition, actor=user, comment=comment)
        return locked

    return _guarded("reopen_for_resubmission", user=user, plan=plan, work=work)


def signatory_memberships(plan: Plan):
    return Membership.objects.filter(hwb_area_id=plan.hwb_area_id, role=Membership.Role.SIGNATORY)
