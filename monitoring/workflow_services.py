"""Every change to a return's workflow state: sign-off, submission, the assurer's comments and outcome.

Each service locks the return (select_for_update), checks the transition in TRANSITIONS and who is
asking, does its work and appends a ReturnEvent, as governance.services does for plans. Content
edits go through monitoring.services.return_edit, which voids these signatures.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from governance.snapshots import canonical_json, sha256_hex
from rounds.models import OutcomeCategory, ReturnPart, SignOffSlot

from . import permissions, selectors, submission_files
from .models import (
    Return,
    ReturnComment,
    ReturnReview,
    ReturnSignOff,
    ReturnSubmission,
)
from .services import record_return_event
from .signoff_selectors import return_snapshot, signoff_problems, submission_problems, unsigned_slots

S = Return.Status


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str


def _t(name, label, sources, target) -> Transition:
    return Transition(name, label, frozenset(sources), target)


# The return's whole workflow. Who may make each is checked by the service (commissioner, signatory, assurer).
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("send_for_signoff", "send the return for sign-off", [S.DRAFT], S.READY_FOR_SIGNOFF),
        _t("complete_signoff", "sign the return", [S.READY_FOR_SIGNOFF], S.SIGNED_OFF),
        _t("withdraw_from_signoff", "return the return to draft", [S.READY_FOR_SIGNOFF, S.SIGNED_OFF], S.DRAFT),
        _t("submit", "submit the return", [S.SIGNED_OFF], S.SUBMITTED),
        _t("comment", "comment on the return", [S.SUBMITTED], ""),
        _t("decide", "record the outcome", [S.SUBMITTED], S.REVIEWED),
    ]
}


def _lock(ret: Return) -> Return:
    return (
        Return.objects.select_for_update(of=("self",))
        .select_related("plan__round", "plan__hwb_area__region", "period")
        .get(pk=ret.pk)
    )


def _guarded(
    name: str, *, ret: Return, allowed: Callable[[Return], bool], work: Callable[[Return, Transition], object]
):
    """Run `work` on the locked return if it is in a source state of `name` and `allowed` says the user may."""
    transition = TRANSITIONS[name]
    with transaction.atomic():
        locked = _lock(ret)
        if not allowed(locked):
            raise PermissionDenied(f"You cannot {transition.label} for this area.")
        if locked.status not in transition.sources:
            raise ValidationError(f"You cannot {transition.label} while it is {locked.get_status_display().lower()}.")
        result = work(locked, transition)
    ret.status = locked.status
    return result


def _move(ret: Return, transition: Transition, *, actor: User, comment: str = "", detail=None) -> None:
    before = ret.status
    ret.status = transition.target
    ret.save(update_fields=["status", "updated_at"])
    record_return_event(
        ret=ret,
        actor=actor,
        action=transition.name,
        from_status=before,
        to_status=ret.status,
        comment=comment,
        detail=detail or {},
    )


def _is_commissioner(user: User) -> Callable[[Return], bool]:
    return lambda ret: permissions.is_commissioner_of_area(user, ret)


# --- Sign-off --------------------------------------------------------------------------------


def _void_all(ret: Return) -> list[int]:
    valid = list(ReturnSignOff.objects.filter(ret=ret, voided_at__isnull=True).values_list("pk", flat=True))
    ReturnSignOff.objects.filter(pk__in=valid).update(voided_at=timezone.now())
    return valid


def send_for_signoff(*, user: User, ret: Return, comment: str = "") -> Return:
    """Every part completed and nothing left to answer: the return goes to the area's signatories."""

    def work(locked: Return, transition: Transition):
        problems = signoff_problems(locked)
        if problems:
            raise ValidationError(problems)
        stale = _void_all(locked)
        _move(
            locked,
            transition,
            actor=user,
            comment=comment,
            detail={"voided": stale, "content_hash": selectors.return_content_hash(locked)},
        )
        return locked

    return _guarded("send_for_signoff", ret=ret, allowed=_is_commissioner(user), work=work)


def withdraw_from_signoff(*, user: User, ret: Return, comment: str = "") -> Return:
    def work(locked: Return, transition: Transition):
        voided = _void_all(locked)
        _move(locked, transition, actor=user, comment=comment, detail={"voided": voided})
        return locked

    return _guarded("withdraw_from_signoff", ret=ret, allowed=_is_commissioner(user), work=work)


@dataclass(frozen=True)
class Signature:
    signatory_name: str
    position: str = ""
    signed_on: datetime.date | None = None


class ReturnChangedSinceSeen(ValidationError):
    """The return's content is not what the signatory's page showed: they must read it again."""

    def __init__(self, *, seen_content_hash: str, content_hash: str):
        super().__init__("The return has changed since you opened this page. Read it again, then sign if you agree.")
        self.seen_content_hash = seen_content_hash
        self.content_hash = content_hash


def sign_return(
    *, user: User, ret: Return, slot_code: str, signature: Signature, seen_content_hash: str
) -> ReturnSignOff:
    """Sign one slot, bound to the content hash the signatory saw; the last signature signs the return off."""
    complete = TRANSITIONS["complete_signoff"]

    def work(locked: Return, transition: Transition):
        slot = SignOffSlot.objects.filter(round_id=locked.plan.round_id, code=slot_code).first()
        if slot is None:
            raise PermissionDenied("This round has no such sign-off.")
        if ReturnSignOff.objects.filter(ret=locked, slot=slot, voided_at__isnull=True).exists():
            raise ValidationError("This part of the sign-off has already been signed.")
        content_hash = selectors.return_content_hash(locked)
        if seen_content_hash != content_hash:
            raise ReturnChangedSinceSeen(seen_content_hash=seen_content_hash, content_hash=content_hash)
        if not signature.signatory_name.strip():
            raise ValidationError({"signatory_name": "Enter your full name"})
        signed_on = signature.signed_on or timezone.localdate()
        if signed_on > timezone.localdate():
            raise ValidationError({"signed_on": "The date signed must be today or in the past"})
        if signed_on < timezone.localdate(locked.created_at):
            raise ValidationError(
                {"signed_on": f"The date signed must be on or after {timezone.localdate(locked.created_at):%-d %B %Y}"}
            )
        signoff = ReturnSignOff.objects.create(
            ret=locked,
            slot=slot,
            signed_by=user,
            signatory_name=signature.signatory_name.strip(),
            position=signature.position.strip() if slot.has_position else "",
            signed_on=signed_on,
            content_hash=content_hash,
        )
        record_return_event(
            ret=locked,
            actor=user,
            action="signed",
            from_status=locked.status,
            to_status=locked.status,
            comment=f"{slot.title}: {signoff.signatory_name}",
            detail={"slot": slot.code, "content_hash": content_hash},
        )
        if not unsigned_slots(locked, content_hash):
            _move(locked, complete, actor=user, comment="Every sign-off slot is signed.")
        return signoff

    return _guarded(
        "complete_signoff",
        ret=ret,
        allowed=lambda locked: permissions.can_sign_slot(user, locked, slot_code),
        work=work,
    )


# --- Submission ------------------------------------------------------------------------------


def submit_return(*, user: User, ret: Return, comment: str = "") -> ReturnSubmission:
    """Freeze the signed-off return as an immutable ReturnSubmission; a worker renders its files after commit."""

    def work(locked: Return, transition: Transition):
        problems = submission_problems(locked)
        if problems:
            raise ValidationError(problems)
        now = timezone.now()
        is_late = now > locked.period.deadline
        snapshot = return_snapshot(locked)
        _move(locked, transition, actor=user, comment=comment, detail={"is_late": is_late, "version": locked.version})
        submission = ReturnSubmission.objects.create(
            ret=locked,
            version=locked.version,
            snapshot=snapshot,
            snapshot_sha256=sha256_hex(canonical_json(snapshot)),
            submitted_by=user,
            submitted_at=now,
            is_late=is_late,
            files_status=ReturnSubmission.FilesStatus.RENDERING,
        )
        transaction.on_commit(lambda: submission_files.enqueue(submission.pk), robust=True)
        return submission

    return _guarded("submit", ret=ret, allowed=_is_commissioner(user), work=work)


def retry_submission_files(*, user: User, ret: Return, version: int) -> ReturnSubmission:
    """Ask the worker again for a submission's files when the last render failed."""
    if not (permissions.is_commissioner_of_area(user, ret) or permissions.can_review_return(user, ret)):
        raise PermissionDenied("You cannot create this return's submitted files.")
    with transaction.atomic():
        locked = _lock(ret)
        submission = ReturnSubmission.objects.filter(ret=locked, version=version).first()
        if submission is None or submission.files_status != ReturnSubmission.FilesStatus.FAILED:
            raise ValidationError("The submitted PDF and workbook are not waiting to be created again.")
        ReturnSubmission.objects.filter(pk=submission.pk).record_files(
            files_status=ReturnSubmission.FilesStatus.RENDERING, files_error=""
        )
        record_return_event(ret=locked, actor=user, action="submission_files_retried", detail={"version": version})
        transaction.on_commit(lambda: submission_files.enqueue(submission.pk), robust=True)
    return ReturnSubmission.objects.get(pk=submission.pk)


# --- Assurance -------------------------------------------------------------------------------


def _is_reviewer(user: User) -> Callable[[Return], bool]:
    return lambda ret: permissions.can_review_return(user, ret)


def comment_on_part(*, user: User, ret: Return, part: ReturnPart, text: str) -> ReturnComment:
    """An assurer's comment on one part, shown to the area's commissioners."""

    def work(locked: Return, transition: Transition):
        if part.round_id != locked.plan.round_id:
            raise ValidationError("That part belongs to another round.")
        if not text.strip():
            raise ValidationError({"text": "Enter a comment"})
        comment = ReturnComment.objects.create(ret=locked, part=part, author=user, text=text.strip())
        record_return_event(
            ret=locked, actor=user, action="commented", comment=text.strip()[:500], detail={"part": part.key}
        )
        return comment

    return _guarded("comment", ret=ret, allowed=_is_reviewer(user), work=work)


def record_outcome(*, user: User, ret: Return, outcome: OutcomeCategory, summary: str) -> ReturnReview:
    """The assurer's outcome on the submitted return (one of the round's categories): the return is reviewed."""

    def work(locked: Return, transition: Transition):
        if outcome.round_id != locked.plan.round_id:
            raise ValidationError({"outcome": "Choose one of this round's outcomes"})
        if not summary.strip():
            raise ValidationError({"summary": "Enter a summary of the review"})
        submission = ReturnSubmission.objects.filter(ret=locked, version=locked.version).first()
        if submission is None:
            raise ValidationError("The return has no submission to review.")
        review = ReturnReview.objects.create(
            submission=submission, assurer=user, outcome=outcome, summary=summary.strip(), decided_at=timezone.now()
        )
        _move(
            locked,
            transition,
            actor=user,
            comment=summary.strip(),
            detail={"outcome": outcome.code, "version": submission.version},
        )
        return review

    return _guarded("decide", ret=ret, allowed=_is_reviewer(user), work=work)
