"""A return's sign-off and submission, its PDF and submitted files, and the assurer's review.

Every return is fetched through selectors.get_return_for_user (404 outside the user's reach) and
each page checks its rule in monitoring.permissions; every change goes through workflow_services.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import security
from accounts.models import Membership
from accounts.permissions import is_national_admin
from rounds.models import OutcomeCategory, ReturnPart

from . import permissions, selectors, signoff_selectors, workflow_services
from .models import Return, ReturnSubmission
from .pdf import return_pdf_bytes
from .signoff_forms import CommentForm, OutcomeForm, SignReturnForm


def _ret(request, round_slug: str, ons_code: str, period_key: str) -> Return:
    ret = selectors.get_return_for_user(request.user, round_slug=round_slug, ons_code=ons_code, period_key=period_key)
    if not permissions.can_read_return(request.user, ret):
        raise Http404("No such return")
    return ret


def _kwargs(ret: Return) -> dict:
    return {"round_slug": ret.plan.round.slug, "ons_code": ret.plan.hwb_area.ons_code, "period_key": ret.period.key}


def _signoff_url(ret: Return) -> str:
    return reverse("monitoring:signoff", kwargs=_kwargs(ret))


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


SIMPLE_ACTIONS = {
    "send_for_signoff": (workflow_services.send_for_signoff, "The return has been sent for sign-off."),
    "withdraw_from_signoff": (workflow_services.withdraw_from_signoff, "The return is back in draft."),
}


def _sign_forms(request, ret: Return, page: dict) -> dict[str, SignReturnForm]:
    return {
        row["slot"].code: SignReturnForm(
            initial={
                "content_hash": page["content_hash"],
                "slot_code": row["slot"].code,
                "signatory_name": request.user.full_name,
                "position": request.user.job_title,
                "signed_on": timezone.localdate(),
            },
            prefix=row["slot"].code,
        )
        for row in page["slots_to_sign"]
    }


def _sign(request, ret: Return) -> tuple[SignReturnForm | None, str, bool]:
    """Handle a signature; (form with errors or None when signed, slot code, whether the return changed)."""
    slot_code = request.POST.get("slot", "")
    if not permissions.can_sign_slot(request.user, ret, slot_code):
        raise PermissionDenied("You do not hold this sign-off for the return's area.")
    form = SignReturnForm(request.POST, prefix=slot_code)
    if not form.is_valid():
        return form, slot_code, False
    data = form.cleaned_data
    try:
        workflow_services.sign_return(
            user=request.user,
            ret=ret,
            slot_code=slot_code,
            signature=workflow_services.Signature(
                signatory_name=data["signatory_name"], position=data["position"], signed_on=data["signed_on"]
            ),
            seen_content_hash=data["content_hash"],
        )
    except workflow_services.ReturnChangedSinceSeen as changed:
        fresh = request.POST.copy()
        fresh[f"{slot_code}-content_hash"] = changed.content_hash
        form = SignReturnForm(fresh, prefix=slot_code)
        form.is_valid()
        form.add_error(None, changed)
        return form, slot_code, True
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return form, slot_code, False
    return None, slot_code, False


@login_required
def signoff(request, round_slug: str, ons_code: str, period_key: str):
    """Status, content hash, each slot and who signed it, and the steps this user may take now."""
    ret = _ret(request, round_slug, ons_code, period_key)
    failed_form, failed_slot, changed = None, "", False
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "sign":
            failed_form, failed_slot, changed = _sign(request, ret)
            if failed_form is None:
                messages.success(request, "You have signed the return.")
                return redirect(_signoff_url(ret))
        elif action in SIMPLE_ACTIONS:
            service, done = SIMPLE_ACTIONS[action]
            try:
                service(user=request.user, ret=ret)
            except ValidationError as error:
                _errors(request, error)
            else:
                messages.success(request, done)
            return redirect(_signoff_url(ret))
        elif action == "submit":
            try:
                submission = workflow_services.submit_return(user=request.user, ret=ret)
            except ValidationError as error:
                _errors(request, error)
            else:
                late = " It was submitted after the deadline." if submission.is_late else ""
                messages.success(request, f"Version {submission.version} of the return has been submitted.{late}")
            return redirect(_signoff_url(ret))
        elif action == "retry":
            try:
                workflow_services.retry_submission_files(
                    user=request.user, ret=ret, version=int(request.POST.get("version", "0") or 0)
                )
            except (ValidationError, ValueError) as error:
                messages.error(request, getattr(error, "message", "The files cannot be created again."))
            else:
                messages.success(request, "The PDF and workbook are being created again.")
            return redirect(_signoff_url(ret))
        else:
            raise Http404("No such step")
    page = signoff_selectors.signoff_page(request.user, ret)
    forms = _sign_forms(request, ret, page)
    if failed_form is not None:
        forms[failed_slot] = failed_form
    for row in page["slots_to_sign"]:
        row["form"] = forms.get(row["slot"].code)
    context = {
        "ret": ret,
        "plan": ret.plan,
        "changed": changed,
        "doc": signoff_selectors.live_document(ret),
        **page,
    }
    return render(request, "monitoring/signoff.html", context, status=200)


@login_required
@require_GET
def return_pdf(request, round_slug: str, ons_code: str, period_key: str):
    """The return as it is now, as a PDF."""
    ret = _ret(request, round_slug, ons_code, period_key)
    response = HttpResponse(return_pdf_bytes(ret), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{ons_code}-{period_key}-return.pdf"'
    return response


FILE_KINDS = {"pdf": ("pdf", "pdf_sha256", "pdf"), "xlsx": ("workbook", "workbook_sha256", "xlsx")}


@login_required
@require_GET
def submission_file(request, round_slug: str, ons_code: str, period_key: str, version: int, kind: str):
    """A submitted return's stored PDF or workbook, with its SHA-256 in a header (and on the sign-off page)."""
    ret = _ret(request, round_slug, ons_code, period_key)
    submission = get_object_or_404(ReturnSubmission, ret=ret, version=version)
    if kind not in FILE_KINDS:
        raise Http404("No such file")
    field_name, hash_name, ext = FILE_KINDS[kind]
    stored = getattr(submission, field_name)
    if not stored:
        raise Http404("The file has not been created yet")
    security.record(
        security.Action.EXPORT_DOWNLOADED,
        request=request,
        plan=ret.plan,
        detail={"return": ret.pk, "period": ret.period.key, "submission": version, "kind": kind},
    )
    response = FileResponse(
        stored.open("rb"), as_attachment=True, filename=f"{ons_code}-{period_key}-v{version}-return.{ext}"
    )
    response["X-Content-SHA256"] = getattr(submission, hash_name)
    return response


@login_required
def review(request, round_slug: str, ons_code: str, period_key: str):
    """The assurer's review: the submitted snapshot with its variances, comments per part, and the outcome."""
    ret = _ret(request, round_slug, ons_code, period_key)
    if not permissions.can_review_return(request.user, ret):
        raise PermissionDenied("Only an assurer of the region with no role in the area can review this return.")
    page = signoff_selectors.review_page(ret)
    comment_form = CommentForm(parts=page["parts"])
    outcome_form = OutcomeForm(outcomes=page["outcomes"])
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "comment":
                comment_form = CommentForm(request.POST, parts=page["parts"])
                if comment_form.is_valid():
                    part = get_object_or_404(
                        ReturnPart, round_id=ret.plan.round_id, key=comment_form.cleaned_data["part"]
                    )
                    workflow_services.comment_on_part(
                        user=request.user, ret=ret, part=part, text=comment_form.cleaned_data["text"]
                    )
                    messages.success(request, f"Your comment on ‘{part.title}’ has been added.")
                    return redirect(request.path)
            elif action == "outcome":
                outcome_form = OutcomeForm(request.POST, outcomes=page["outcomes"])
                if outcome_form.is_valid():
                    outcome = get_object_or_404(
                        OutcomeCategory, round_id=ret.plan.round_id, code=outcome_form.cleaned_data["outcome"]
                    )
                    workflow_services.record_outcome(
                        user=request.user, ret=ret, outcome=outcome, summary=outcome_form.cleaned_data["summary"]
                    )
                    messages.success(request, f"The outcome has been recorded: {outcome.label}.")
                    return redirect(request.path)
            else:
                raise Http404("No such step")
        except ValidationError as error:
            _errors(request, error)
            return redirect(request.path)
    return render(
        request,
        "monitoring/review.html",
        {"ret": ret, "plan": ret.plan, "comment_form": comment_form, "outcome_form": outcome_form, **page},
    )


@login_required
@require_GET
def assurance(request):
    """Submitted returns of the assurer's regions waiting for their review (every region's for national admins)."""
    user = request.user
    reviewer = not is_national_admin(user)
    if not reviewer:
        returns = (
            Return.objects.filter(status=Return.Status.SUBMITTED)
            .select_related("plan__round", "plan__hwb_area__region", "period")
            .order_by("period__deadline", "plan__hwb_area__name")
        )
    elif user.memberships.filter(role=Membership.Role.ASSURER).exists():
        returns = signoff_selectors.returns_awaiting_review(user)
    else:
        raise PermissionDenied("Only assurers and national administrators can see returns waiting for review.")
    rows = list(returns)
    latest = {
        s.ret_id: s for s in ReturnSubmission.objects.filter(ret__in=[r.pk for r in rows]).order_by("ret", "version")
    }
    return render(
        request,
        "monitoring/review_list.html",
        {"rows": [{"ret": r, "submission": latest.get(r.pk)} for r in rows], "reviewer": reviewer},
    )
