"""A plan's returns: the list of periods, a return's task list, one page per part, and its history.

Every page fetches the return through `selectors.get_return_for_user` (404 outside the user's
reach) and checks `monitoring.permissions` before it writes; writes go through `services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from plans import api_views as plan_api
from plans import drafts
from plans import permissions as plan_rules
from plans import selectors as plan_selectors
from plans.editing import StaleEdit
from rounds.models import ReturnPart, ReturnPeriod, ReturnTemplate

from . import permissions, selectors, services, signoff_selectors
from .forms import build_part_form
from .models import Return

P = ReturnPart.ReportsOn
HISTORY_PAGE_SIZE = 50


def _kwargs(ret: Return) -> dict:
    return {"round_slug": ret.plan.round.slug, "ons_code": ret.plan.hwb_area.ons_code, "period_key": ret.period.key}


def _return(request: HttpRequest, round_slug: str, ons_code: str, period_key: str) -> Return:
    return selectors.get_return_for_user(request.user, round_slug=round_slug, ons_code=ons_code, period_key=period_key)


def _form_key(ret: Return, part: ReturnPart) -> str:
    return f"return:{ret.pk}:{part.key}"


# --- The plan's returns --------------------------------------------------------------------


@login_required
def returns(request: HttpRequest, round_slug: str, ons_code: str) -> HttpResponse:
    """The round's return periods for the plan; POST period=<key> starts that return (commissioners)."""
    plan = plan_selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    template = ReturnTemplate.objects.filter(round_id=plan.round_id).first()
    approved = services.approved_submission(plan) if plan.status in services.APPROVED else None
    can_start = plan_rules.is_commissioner_of_area(request.user, plan)
    if request.method == "POST":
        if not can_start:
            raise PermissionDenied("Only the area's commissioners can start its returns.")
        period = ReturnPeriod.objects.filter(round_id=plan.round_id, key=request.POST.get("period", "")).first()
        if period is None or template is None:
            messages.error(request, "Choose a return period of this round.")
            return redirect("monitoring:returns", round_slug=round_slug, ons_code=ons_code)
        try:
            services.start_return(user=request.user, plan=plan, period=period)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect("monitoring:returns", round_slug=round_slug, ons_code=ons_code)
        return redirect("monitoring:task_list", round_slug=round_slug, ons_code=ons_code, period_key=period.key)
    rows = selectors.return_periods_for_plan(plan, now=timezone.now()) if template is not None else []
    # An assurer sees a return only once it is submitted: list only what the user may open.
    visible = set(selectors.returns_for_user(request.user).filter(plan=plan).values_list("pk", flat=True))
    return render(
        request,
        "monitoring/returns.html",
        {
            "plan": plan,
            "template": template,
            "rows": rows,
            "visible": visible,
            "approved": approved,
            "can_start": can_start and approved is not None,
        },
    )


# --- A return's task list ------------------------------------------------------------------


@login_required
def task_list(request: HttpRequest, round_slug: str, ons_code: str, period_key: str) -> HttpResponse:
    ret = _return(request, round_slug, ons_code, period_key)
    items = selectors.task_list(ret)
    problems = selectors.return_problems(ret)
    return render(
        request,
        "monitoring/task_list.html",
        {
            "ret": ret,
            "plan": ret.plan,
            "items": items,
            "completed": sum(1 for i in items if i["status"] == "completed"),
            "problems": problems,
            "problem_count": sum(len(p) for p in problems.values()),
            "is_late": timezone.now() > ret.period.deadline
            and ret.status not in (Return.Status.SUBMITTED, Return.Status.REVIEWED),
            "can_edit": permissions.can_edit_return(request.user, ret),
            "kwargs": _kwargs(ret),
            "comments": signoff_selectors.comments_for(ret),
        },
    )


# --- One part of a return ------------------------------------------------------------------


def _problems_to_form(form, problems) -> None:
    for p in problems:
        form.add_error(p.field if p.field in form.fields else None, p.message)


def _load_versions(form, versions: dict[str, int | None]) -> None:
    """Put the given stored versions (by row prefix) in the form's data, so that the page posts them next."""
    data = form.data.copy()
    for row in form.rows:
        if row.prefix in versions:
            version = versions[row.prefix]
            data[row.fields["version"]] = "" if version is None else str(version)
    form.data = data


def _stored_versions(form) -> dict[str, int | None]:
    """Each row's version as stored now, by row prefix."""
    fresh = build_part_form(None, ret=form.ret, part=form.part, template=form.template)
    return {
        row.prefix: fresh.initial.get(now.fields["version"]) for row, now in zip(form.rows, fresh.rows, strict=True)
    }


def _stale_rows(form) -> dict[str, dict]:
    """What is stored now in every row whose version moved under the user, by row prefix.

    Each entry holds the other person's values (as the page shows them) and the row's version now.
    """
    fresh = build_part_form(None, ret=form.ret, part=form.part, template=form.template)
    out = {}
    for row, now in zip(form.rows, fresh.rows, strict=True):
        version_now = fresh.initial.get(now.fields["version"])
        if str(version_now if version_now is not None else "") != str(form.data.get(row.fields["version"], "")):
            theirs = {attr: fresh[name].value() for attr, name in now.fields.items() if attr != "version"}
            out[row.prefix] = {"theirs": theirs, "version": version_now}
    return out


@login_required
def part(request: HttpRequest, round_slug: str, ons_code: str, period_key: str, part_key: str) -> HttpResponse:
    ret = _return(request, round_slug, ons_code, period_key)
    part_obj = selectors.get_part(ret, part_key)
    template = selectors.template_for(ret)
    can_edit = permissions.can_edit_return(request.user, ret)
    status = 200
    stale: dict = {}
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("You cannot change this return.")
        form = build_part_form(request.POST, ret=ret, part=part_obj, template=template)
        if form.is_valid():
            status, stale = _save_part(request, ret, part_obj, form)
            if status == 302:
                return _after_save(request, ret, part_obj)
        else:
            status = 400
    else:
        form = build_part_form(None, ret=ret, part=part_obj, template=template)
        form.initial["completed"] = "yes" if selectors.part_completed(ret, part_obj) else None
    if stale:
        # Load the versions now stored so that saving again saves the user's values over theirs, knowingly.
        _load_versions(form, {prefix: row["version"] for prefix, row in stale.items()})
    return render(
        request,
        "monitoring/part.html",
        {
            "ret": ret,
            "plan": ret.plan,
            "part": part_obj,
            "form": form,
            "rows": form.bound_rows(),
            "stale": stale,
            "template": template,
            "can_edit": can_edit,
            "form_key": _form_key(ret, part_obj),
            "kwargs": _kwargs(ret),
            "variances": _variances(ret, template) if part_obj.reports_on == P.FINANCE else {},
        },
        status=status,
    )


def _save_part(request: HttpRequest, ret: Return, part_obj: ReturnPart, form) -> tuple[int, dict]:
    """Save what the form holds, then the completion answer; (302 when done, else the page's status)."""
    save = {
        P.FINANCE: services.save_lines,
        P.CONDITIONS: services.save_conditions,
        P.METRICS: services.save_metrics,
    }.get(part_obj.reports_on, services.save_answers)
    try:
        save(user=request.user, ret=ret, changes=form.changes())
    except StaleEdit:
        form.add_error(None, StaleEdit.message_for("part of the return"))
        return 409, _stale_rows(form)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return 400, {}
    drafts.discard_draft(user=request.user, plan=ret.plan, form_key=_form_key(ret, part_obj))
    answer = form.cleaned_data.get("completed")
    if answer:
        try:
            services.set_part_completed(user=request.user, ret=ret, part=part_obj, completed=answer == "yes")
        except ValidationError:
            ret.refresh_from_db()
            problems = selectors.part_problems(ret, part_obj, threshold=selectors.template_for(ret).variance_percent)
            form.add_error("completed", "You cannot mark this part as completed until every answer is given")
            _problems_to_form(form, problems)
            # The values were saved: the page must post the versions they now have, or its next save
            # would be refused as a conflict with the user's own save.
            _load_versions(form, _stored_versions(form))
            return 400, {}
    return 302, {}


def _after_save(request: HttpRequest, ret: Return, part_obj: ReturnPart) -> HttpResponse:
    messages.success(request, f"{part_obj.title} has been saved.")
    following = selectors.next_part(part_obj) if request.POST.get("action") == "continue" else None
    if following is not None:
        return redirect("monitoring:part", **_kwargs(ret), part_key=following.key)
    return redirect("monitoring:task_list", **_kwargs(ret))


def _variances(ret: Return, template) -> dict[int, dict]:
    """Each line's variance from plan as the server computes it from the stored (or just saved) actual."""
    out = {}
    for line in ret.lines.all():
        variance = selectors.variance_percent(line.planned, line.actual)
        out[line.pk] = {"percent": variance, "beyond": selectors.needs_explanation(line, template.variance_percent)}
    return out


# --- Autosave --------------------------------------------------------------------------------


@never_cache
@plan_api.signed_in_json
@require_http_methods(["GET", "POST", "DELETE"])
def autosave(request: HttpRequest, round_slug: str, ons_code: str, period_key: str) -> JsonResponse:
    """The plans' autosave, for a return's part forms (form key "return:<id>:<part>")."""
    ret = _return(request, round_slug, ons_code, period_key)
    prefix = f"return:{ret.pk}:"
    if request.method == "GET":
        form_key = request.GET.get("form_key", "")
        draft = (
            drafts.get_draft(user=request.user, plan=ret.plan, form_key=form_key)
            if form_key.startswith(prefix)
            else None
        )
        if draft is None:
            return JsonResponse({"draft": None})
        return JsonResponse({"draft": {"data": draft.data, "updated_at": draft.updated_at.isoformat()}})
    if not permissions.can_edit_return(request.user, ret):
        return JsonResponse({"error": "You cannot change this return."}, status=403)
    try:
        body = (
            plan_api._form_body(request)
            if request.content_type in plan_api.FORM_CONTENT_TYPES
            else plan_api._json_body(request)
        )
    except plan_api.BrokenCharacter as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if body is None:
        return JsonResponse({"error": "Send the draft as a JSON object."}, status=400)
    form_key = body.get("form_key", "")
    if not isinstance(form_key, str) or not form_key.startswith(prefix):
        return JsonResponse({"error": "Give the form key of a part of this return."}, status=400)
    if request.method == "DELETE" or body.get("discard"):
        drafts.discard_draft(user=request.user, plan=ret.plan, form_key=form_key)
        return JsonResponse({"discarded": True})
    try:
        draft = drafts.keep_draft(user=request.user, plan=ret.plan, form_key=form_key, data=body.get("data"))
    except drafts.InvalidDraft as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"saved": True, "updated_at": draft.updated_at.isoformat()})


# --- History -----------------------------------------------------------------------------------


@login_required
def history(request: HttpRequest, round_slug: str, ons_code: str, period_key: str) -> HttpResponse:
    ret = _return(request, round_slug, ons_code, period_key)
    page = Paginator(selectors.return_history(ret), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "monitoring/history.html",
        {
            "ret": ret,
            "plan": ret.plan,
            "page": page,
            "kwargs": _kwargs(ret),
            "back_url": reverse("monitoring:task_list", kwargs=_kwargs(ret)),
        },
    )
