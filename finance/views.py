"""Pooled-budget pages: income, expenditure, finance summary and workbook import.

Every view fetches the plan with get_plan_for_user (404 outside the user's areas); changes go
through finance.services, which checks the user may edit the plan.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from plans import selectors as plan_selectors
from plans import services as plan_services
from plans import views as plan_views
from plans.editing import StaleEdit, require_edit
from plans.fragments import content_key
from rounds.models import Section

from . import rules, selectors, services
from .forms import ExpenditureLineForm, IncomeLineForm, WorkbookUploadForm
from .models import ExpenditureLine, IncomeLine
from .workbook_import import WorkbookRejected, diff_workbook, figures_of_import, read_workbook

IMPORT_SESSION_KEY = "part2_import"


def _plan(request, round_slug, ons_code):
    return plan_selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)


def _kwargs(plan) -> dict:
    return {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}


def _complete_section(request, plan, table: str) -> list[str]:
    """POST "Mark this section as completed": done only when the round's rules for the section hold.

    Returns what is missing, in the rules' words, when refused; an empty list when completed.
    """
    section = plan_services.table_section(plan, table)
    if section is None:
        raise Http404("This round has no such section")
    try:
        plan_services.complete_section(user=request.user, plan=plan, section=section)
    except ValidationError as exc:
        return exc.messages
    messages.success(request, f"You have marked ‘{section.title}’ as completed.")
    return []


def _base_context(request, plan, table: str, completion_errors=()) -> dict:
    return {
        "plan": plan,
        "can_edit": plan_selectors.can_edit_plan(request.user, plan),
        **plan_selectors.table_section_context(plan, table),
        "completion_errors": list(completion_errors),
        "page_has_errors": bool(completion_errors),
    }


# --- Income ---------------------------------------------------------------------------


def _section_page(request, round_slug, ons_code, *, table: str, template: str, page):
    """The income or expenditure page; its POST marks the section completed once the round's rules hold."""
    plan = _plan(request, round_slug, ons_code)
    errors = []
    if request.method == "POST":
        errors = _complete_section(request, plan, table)
        if not errors:
            return redirect("plans:plan_overview", **_kwargs(plan))
    context = {**_base_context(request, plan, table, errors), **page(selectors.part_two_for_plan(plan))}
    return render(request, template, context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def income(request, round_slug: str, ons_code: str):
    return _section_page(
        request,
        round_slug,
        ons_code,
        table=Section.Table.INCOME,
        template="finance/income.html",
        page=selectors.income_page,
    )


def _line_form_page(request, plan, *, line, form, template, save, back_url, noun):
    """Shared add/change handling: validation errors and stale edits keep everything typed."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                save(form)
            except StaleEdit:
                form.add_error(None, StaleEdit.message_for("line"))
                status = 409
            except (ValidationError, IntegrityError) as exc:
                message = exc.messages[0] if isinstance(exc, ValidationError) else "This line clashes with another"
                form.add_error(None, message)
                status = 400
            else:
                messages.success(request, f"The {noun} has been {'saved' if line else 'added'}.")
                return redirect(back_url)
        else:
            status = 400
    current = None
    if status == 409 and line is not None:
        current = type(line).objects.get(pk=line.pk)
    return render(
        request,
        template,
        {"plan": plan, "form": form, "line": line, "current": current, "back_url": back_url, "noun": noun},
        status=status,
    )


@dataclass(frozen=True)
class LineKind:
    """Income or expenditure lines: their model, form, services, pages and what the pages call them."""

    model: type
    form_class: type
    save: Callable
    remove: Callable
    template: str
    list_name: str
    noun: str


INCOME = LineKind(
    IncomeLine,
    IncomeLineForm,
    services.save_income_line,
    services.remove_income_line,
    "finance/income_form.html",
    "finance:income",
    "income line",
)
EXPENDITURE = LineKind(
    ExpenditureLine,
    ExpenditureLineForm,
    services.save_expenditure_line,
    services.remove_expenditure_line,
    "finance/expenditure_form.html",
    "finance:expenditure",
    "expenditure line",
)


def _line_form(request, round_slug, ons_code, pk, kind: LineKind):
    """Add or change one income or expenditure line: the form translates, the service saves."""
    plan = _plan(request, round_slug, ons_code)
    require_edit(user=request.user, plan=plan)
    line = _get_line(kind.model, plan, pk)
    form_class = kind.form_class
    if request.method == "POST":
        form = form_class(request.POST, plan=plan, line=line)
    else:
        form = form_class(initial=form_class.initial_for(line) if line else {}, plan=plan, line=line)

    def save(form):
        kind.save(user=request.user, plan=plan, line=line, version=form.cleaned_data.get("version"), **form.values())

    back_url = reverse(kind.list_name, kwargs=_kwargs(plan))
    return _line_form_page(
        request, plan, line=line, form=form, template=kind.template, save=save, back_url=back_url, noun=kind.noun
    )


@login_required
@require_http_methods(["GET", "POST"])
def income_line(request, round_slug: str, ons_code: str, pk: int | None = None):
    return _line_form(request, round_slug, ons_code, pk, INCOME)


def _remove_line(request, round_slug, ons_code, pk, kind: LineKind):
    plan = _plan(request, round_slug, ons_code)

    def remove(line, version):
        kind.remove(user=request.user, plan=plan, line=line, version=version)

    back_url = reverse(kind.list_name, kwargs=_kwargs(plan))
    return plan_views.remove_page(
        request, plan, model=kind.model, pk=pk, remove=remove, back_url=back_url, noun=kind.noun, describe=str
    )


def _get_line(model, plan, pk):
    if pk is None:
        return None
    line = model.objects.filter(plan=plan, pk=pk).first()
    if line is None:
        raise Http404("No such line")
    return line


@login_required
@require_http_methods(["GET", "POST"])
def income_remove(request, round_slug: str, ons_code: str, pk: int):
    return _remove_line(request, round_slug, ons_code, pk, INCOME)


# --- Expenditure ------------------------------------------------------------------------


def _expenditure_page(part) -> dict:
    return {
        "years": part.years,
        "lines": selectors.expenditure_rows(part),
        "totals": selectors.finance_summary(part).spend_totals,
    }


@login_required
@require_http_methods(["GET", "POST"])
def expenditure(request, round_slug: str, ons_code: str):
    return _section_page(
        request,
        round_slug,
        ons_code,
        table=Section.Table.EXPENDITURE,
        template="finance/expenditure.html",
        page=_expenditure_page,
    )


@login_required
@require_http_methods(["GET", "POST"])
def expenditure_line(request, round_slug: str, ons_code: str, pk: int | None = None):
    return _line_form(request, round_slug, ons_code, pk, EXPENDITURE)


@login_required
@require_http_methods(["GET", "POST"])
def expenditure_remove(request, round_slug: str, ons_code: str, pk: int):
    return _remove_line(request, round_slug, ons_code, pk, EXPENDITURE)


# --- Summary and export -------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def summary(request, round_slug: str, ons_code: str):
    plan = _plan(request, round_slug, ons_code)
    summary = selectors.finance_summary(selectors.part_two_for_plan(plan, finance_only=True), live=True)
    chart = selectors.spend_chart(summary)
    return render(
        request,
        "finance/summary.html",
        {
            "plan": plan,
            "can_edit": plan_selectors.can_edit_plan(request.user, plan),
            "summary": summary,
            "chart": chart,
            "summary_key": content_key(summary, chart),
        },
    )


# --- Import ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_workbook(request, round_slug: str, ons_code: str):
    """Upload a workbook and preview what it would change; nothing is written here."""
    plan = _plan(request, round_slug, ons_code)
    require_edit(user=request.user, plan=plan)
    errors = []
    status = 200
    form = WorkbookUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["workbook"]
        data = upload.read(settings.MAX_UPLOAD_SIZE + 1)
        part = selectors.part_two_for_plan(plan)
        try:
            parsed = read_workbook(data, plan, part)
        except WorkbookRejected as rejected:
            errors = rejected.errors
            status = 400
        else:
            changes = diff_workbook(part, parsed)
            name = default_storage.save(f"imports/{uuid.uuid4().hex}.xlsx", ContentFile(data))
            previous = request.session.get(IMPORT_SESSION_KEY)
            if previous and previous.get("name"):
                default_storage.delete(previous["name"])
            request.session[IMPORT_SESSION_KEY] = {"name": name, "plan": plan.pk, "filename": upload.name[:200]}
            return render(
                request,
                "finance/import_preview.html",
                {
                    "plan": plan,
                    "changes": changes,
                    "filename": upload.name,
                    "results": rules.check_all(figures_of_import(part, parsed)),
                    "counts": {k: sum(c.kind == k for c in changes) for k in ("added", "changed", "removed")},
                },
            )
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "finance/import.html",
        {"plan": plan, "form": form, "errors": errors, "max_mb": settings.MAX_UPLOAD_SIZE // 1048576},
        status=status,
    )


@login_required
@require_POST
def import_confirm(request, round_slug: str, ons_code: str):
    """Apply the previewed workbook in one transaction (validated again under a lock)."""
    plan = _plan(request, round_slug, ons_code)
    require_edit(user=request.user, plan=plan)
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending or pending.get("plan") != plan.pk or not default_storage.exists(pending["name"]):
        messages.warning(request, "Upload the workbook again: the preview has expired.")
        return redirect("finance:import", **_kwargs(plan))
    with default_storage.open(pending["name"], "rb") as handle:
        data = handle.read()
    try:
        changes = services.apply_workbook_import(user=request.user, plan=plan, data=data)
    except WorkbookRejected as rejected:
        return render(
            request,
            "finance/import.html",
            {
                "plan": plan,
                "form": WorkbookUploadForm(),
                "errors": rejected.errors,
                "max_mb": settings.MAX_UPLOAD_SIZE // 1048576,
            },
            status=400,
        )
    default_storage.delete(pending["name"])
    del request.session[IMPORT_SESSION_KEY]
    if changes:
        messages.success(request, f"The workbook has been imported: {len(changes)} lines added, changed or removed.")
    else:
        messages.info(request, "The workbook matched the plan, so nothing was changed.")
    return redirect("finance:summary", **_kwargs(plan))
