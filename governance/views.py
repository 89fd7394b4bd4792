"""Workflow pages: a plan's sign-off and submission, assurance review, versions, and the national view.

Every plan is fetched through plans.selectors.get_plan_for_user (404 outside the user's reach);
every change goes through governance.services, which checks the role and records the event.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts import security
from plans import permissions
from plans.selectors import get_plan_for_user, is_national_admin, plan_sections
from rounds.examples import hint_examples
from rounds.models import PlanningRound, SignOffSlot

from . import compare, dashboards, forms, letters, selectors, services, submission_files, workflow
from .models import Submission
from .snapshots import canonical_json, plan_content_hash


def _plan(request, round_slug, ons_code):
    return get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)


def _status_url(plan) -> str:
    return reverse("governance:plan_status", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code})


def _review_url(plan) -> str:
    return reverse("governance:review", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code})


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def plan_status(request, round_slug: str, ons_code: str):
    plan = _plan(request, round_slug, ons_code)
    context = {"plan": plan, **dashboards.plan_status_page(request.user, plan)}
    if plan.status == plan.Status.SIGNED_OFF and workflow.COMMISSIONER in context["roles"]:
        context["problems"] = services.submission_problems(plan)
    return render(request, "governance/plan_status.html", context)


SIMPLE_TRANSITIONS = {
    "send_for_signoff": (
        services.send_for_signoff,
        "The plan has been sent for sign-off. The signatories have been told.",
    ),
    "withdraw_from_signoff": (services.withdraw_from_signoff, "The plan is back in draft."),
    "reopen_for_resubmission": (services.reopen_for_resubmission, "A new version of the plan has been started."),
    "start_next_phase": (
        services.start_next_phase,
        "The plan has moved to its next phase. Its commissioners can now fill it in.",
    ),
}


@login_required
@require_POST
def transition(request, round_slug: str, ons_code: str, name: str):
    plan = _plan(request, round_slug, ons_code)
    if name not in SIMPLE_TRANSITIONS:
        raise Http404("No such step")
    service, done = SIMPLE_TRANSITIONS[name]
    form = forms.TransitionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        service(user=request.user, plan=plan, comment=comment)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, done)
    return redirect(_status_url(plan))


@login_required
def sign(request, round_slug: str, ons_code: str, slot_code: str):
    plan = _plan(request, round_slug, ons_code)
    slot = get_object_or_404(SignOffSlot, round_id=plan.round_id, code=slot_code)
    if not permissions.can_sign_slot(request.user, plan, slot_code):
        raise PermissionDenied("You do not hold this sign-off for the plan's area.")
    if plan.status not in permissions.EDITABLE_STATUSES:
        # Security: a submitted plan's sign-off is closed; do not offer a form the service would refuse.
        raise PermissionDenied("This plan has been submitted, so its sign-off cannot change.")
    if plan.status != plan.Status.READY_FOR_SIGNOFF:
        messages.error(request, "The plan is not waiting for sign-off, so it cannot be signed now.")
        return redirect(_status_url(plan))
    plan_changed, changes = False, None  # whether, and how, the plan changed since the page showed it
    if request.method == "POST":
        form = forms.SignForm(request.POST, slot=slot, examples=hint_examples(plan.round))
        if form.is_valid():
            data = form.cleaned_data
            delegated = data["under_delegation"] == "yes"
            signature = services.Signature(
                signatory_name=data["signatory_name"],
                position=data.get("position", ""),
                signed_on=data["signed_on"],
                under_delegation=delegated,
                delegating_body=data["delegating_body"] if delegated else "",
                delegation_date=data["delegation_date"] if delegated else None,
                delegation_minute_ref=data["delegation_minute_ref"] if delegated else "",
            )
            try:
                services.sign_plan(
                    user=request.user,
                    plan=plan,
                    slot_code=slot.code,
                    signature=signature,
                    seen_content_hash=data["content_hash"],
                )
            except services.PlanChangedSinceSeen as changed:
                plan_changed, changes = True, selectors.changes_since_seen(plan, changed.seen_content_hash)
                form = form.showing_changed_plan(changed)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"You have signed the plan: {slot.title}.")
                return redirect(_status_url(plan))
    else:
        form = forms.SignForm(
            slot=slot,
            examples=hint_examples(plan.round),
            initial={
                "content_hash": plan_content_hash(plan),
                "signatory_name": request.user.full_name,
                "position": request.user.job_title,
                "signed_on": timezone.localdate(),
            },
        )
    return render(
        request,
        "governance/sign.html",
        {"plan": plan, "slot": slot, "form": form, "plan_changed": plan_changed, "changes": changes},
    )


@login_required
def submit(request, round_slug: str, ons_code: str):
    plan = _plan(request, round_slug, ons_code)
    if workflow.COMMISSIONER not in workflow.roles_for(request.user, plan):
        raise PermissionDenied("Only the area's commissioners can submit the plan.")
    if request.method == "POST":
        try:
            submission = services.submit_plan(user=request.user, plan=plan)
        except ValidationError as error:
            _errors(request, error)
            return redirect(request.path)
        late = " It was submitted after the deadline." if submission.is_late else ""
        submission.refresh_from_db(fields=["files_status"])  # eager Celery has already rendered them
        files = (
            ""
            if submission.files_status == Submission.FilesStatus.DONE
            else " Its PDF and workbook are being created and will appear below when they are ready."
        )
        messages.success(request, f"Version {submission.version} of the plan has been submitted.{late}{files}")
        return redirect(_status_url(plan))
    problems = services.submission_problems(plan) if plan.status == plan.Status.SIGNED_OFF else []
    return render(request, "governance/submit.html", {"plan": plan, "problems": problems})


def _submission(plan, version: int) -> Submission:
    return get_object_or_404(
        Submission.objects.select_related("plan__round", "plan__hwb_area"), plan=plan, version=version
    )


@login_required
def download(request, round_slug: str, ons_code: str, version: int, kind: str):
    plan = _plan(request, round_slug, ons_code)
    submission = _submission(plan, version)
    stem = f"{plan.hwb_area.ons_code}-{plan.round.slug}-v{version}"
    if kind in ("pdf", "xlsx", "json"):  # security audit: who downloaded which submitted file
        security.record(
            security.Action.EXPORT_DOWNLOADED, request=request, plan=plan, detail={"submission": version, "kind": kind}
        )
    if kind == "pdf" and submission.pdf:
        return FileResponse(submission.pdf.open("rb"), as_attachment=True, filename=f"{stem}-part1.pdf")
    if kind == "xlsx" and submission.workbook:
        return FileResponse(submission.workbook.open("rb"), as_attachment=True, filename=f"{stem}-part2.xlsx")
    if kind == "json":
        response = HttpResponse(canonical_json(submission.snapshot), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{stem}-snapshot.json"'
        return response
    raise Http404("No such file")


def _progress_payload(plan, submission: Submission) -> dict:
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, "version": submission.version}
    return {
        **submission_files.progress(submission),
        "status_url": reverse("governance:submission_progress", kwargs=kwargs),
    }


@login_required
@require_GET
def submission_progress(request, round_slug: str, ons_code: str, version: int):
    """How far the worker has got with a submission's PDF and workbook (polled by the pages)."""
    plan = _plan(request, round_slug, ons_code)
    return JsonResponse(_progress_payload(plan, _submission(plan, version)))


@login_required
@require_POST
def submission_retry(request, round_slug: str, ons_code: str, version: int):
    plan = _plan(request, round_slug, ons_code)
    _submission(plan, version)  # 404 for a version that was never submitted
    submission = services.retry_submission_files(user=request.user, plan=plan, version=version)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(_progress_payload(plan, submission), status=202)
    messages.info(request, f"Version {version}: {submission_files.progress(submission)['message']}")
    return redirect(_status_url(plan))


@login_required
def decision_letter(request, round_slug: str, ons_code: str, version: int):
    plan = _plan(request, round_slug, ons_code)
    review = dashboards.decided_review(_submission(plan, version))
    if review is None:
        raise Http404("No decision has been made on this version")
    response = HttpResponse(letters.render_decision_letter(review), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{plan.hwb_area.ons_code}-{plan.round.slug}-v{version}-decision.pdf"'
    )
    return response


@login_required
def review(request, round_slug: str, ons_code: str):
    plan = _plan(request, round_slug, ons_code)
    if workflow.ASSURER not in workflow.roles_for(request.user, plan):
        if permissions.is_assurer_of_region(request.user, plan):
            raise PermissionDenied(
                "You cannot review this plan because you also have a role in its area. "
                "Another assurer in your region must review it."
            )
        raise PermissionDenied("Only the region's assurers can review this plan.")
    page = dashboards.review_page(plan)
    if page["submission"] is None:
        raise Http404("This plan has not been submitted")
    sections = plan_sections(plan).order_by("order")
    ratings = {row["kloe"].pk: row["rating"] for row in page["kloes"] if row["rating"]}
    kloes = [row["kloe"] for row in page["kloes"]]
    outcomes = plan.round.outcomes.order_by("order")
    action = request.POST.get("action") if request.method == "POST" else None
    data = request.POST if action else None
    rating_form = forms.KloeRatingsForm(data if action == "rate" else None, kloes=kloes, ratings=ratings)
    comment_form = forms.SectionCommentForm(data if action == "comment" else None, sections=sections)
    decision_form = forms.DecisionForm(data if action == "decide" else None, outcomes=outcomes)
    return_form = forms.ReturnForm(data if action == "return" else None)
    try:
        if action == "rate" and rating_form.is_valid():
            services.rate_kloes(user=request.user, plan=plan, ratings=rating_form.ratings())
            messages.success(request, "Your ratings have been saved.")
            return redirect(_review_url(plan))
        if action == "comment" and comment_form.is_valid():
            services.comment_on_section(
                user=request.user,
                plan=plan,
                section=comment_form.cleaned_data["section"],
                text=comment_form.cleaned_data["text"],
            )
            messages.success(request, "Your comment has been added. Commissioners will see it on that section.")
            return redirect(_review_url(plan))
        if action == "decide" and decision_form.is_valid():
            cleaned = decision_form.cleaned_data
            services.decide(
                user=request.user,
                plan=plan,
                outcome=cleaned["outcome"],
                summary=cleaned["summary"],
                conditions=[services.Condition(text, due) for text, due in cleaned["conditions"]],
            )
            messages.success(request, f"The outcome has been recorded: {cleaned['outcome'].label}.")
            return redirect(_status_url(plan))
        if action == "return" and return_form.is_valid():
            services.return_for_changes(user=request.user, plan=plan, comment=return_form.cleaned_data["comment"])
            messages.success(request, "The plan has been returned for changes.")
            return redirect(reverse("governance:assurance_dashboard"))
    except ValidationError as error:
        target = {"rate": rating_form, "comment": comment_form, "decide": decision_form, "return": return_form}[action]
        target.add_error(None, error)
    plan.refresh_from_db(fields=["status", "version"])
    return render(
        request,
        "governance/review.html",
        {
            "plan": plan,
            **page,
            "rating_form": rating_form,
            "comment_form": comment_form,
            "decision_form": decision_form,
            "return_form": return_form,
            "decided": plan.status in workflow.DECISION_STATUSES,
        },
    )


@login_required
def versions(request, round_slug: str, ons_code: str):
    plan = _plan(request, round_slug, ons_code)
    submissions = {s.version: s for s in Submission.objects.filter(plan=plan).order_by("version")}
    numbers = sorted(submissions)
    diffs = None
    old = new = None
    if len(numbers) >= 2:
        try:
            old = int(request.GET.get("from", numbers[-2]))
            new = int(request.GET.get("to", numbers[-1]))
        except ValueError:
            raise Http404("No such version") from None
        if old not in submissions or new not in submissions:
            raise Http404("No such version")
        diffs = compare.compare_snapshots(submissions[old].snapshot, submissions[new].snapshot)
    return render(
        request,
        "governance/versions.html",
        {
            "plan": plan,
            "numbers": numbers,
            "old": old,
            "new": new,
            "diffs": diffs,
            "show_all": request.GET.get("all") == "1",
        },
    )


@login_required
def assurance_dashboard(request):
    page = dashboards.assurance_dashboard(
        request.user, round_slug=request.GET.get("round", ""), status=request.GET.get("status", "")
    )
    if not page["regions"] and not is_national_admin(request.user):
        raise PermissionDenied("The assurance dashboard is for NHS England assurers.")
    return render(request, "governance/assurance_dashboard.html", page)


def _national_round(request, round_slug: str | None, rounds: list[PlanningRound] | None = None):
    """The round asked for, or the latest; from `rounds` (newest first) when the page has read them already."""
    if not is_national_admin(request.user):
        raise PermissionDenied("The national view is for national administrators.")
    if rounds is not None:
        found = next((r for r in rounds if r.slug == round_slug), None) if round_slug else next(iter(rounds), None)
        if found is None:
            raise Http404("No such planning round")
        return found
    if round_slug:
        return get_object_or_404(PlanningRound, slug=round_slug)
    current = PlanningRound.objects.order_by("-final_deadline").first()
    if current is None:
        raise Http404("No planning rounds have been set up")
    return current


@login_required
def national_dashboard(request):
    rounds = dashboards.round_list()
    planning_round = _national_round(request, request.GET.get("round"), rounds)
    page = dashboards.national_dashboard(planning_round)
    page["rounds"] = rounds
    return render(request, "governance/national_dashboard.html", page)
