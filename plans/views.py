"""Plan pages: the user's plans, the task list, section pages, Part 1 tables, history and check your answers.

Every view fetches the plan through selectors.get_plan_for_user (404 outside the user's
areas); every write goes through a service that checks the user may edit the plan.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.forms.utils import ErrorDict
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from rounds.examples import hint_examples
from rounds.models import Question, ReturnPeriod, Section

from . import figures, groups, permissions, selectors, services
from .editing import StaleEdit, require_edit
from .forms import ConfirmRemoveForm, DocumentForm, RiskForm, SectionForm, add_service_error
from .models import Plan, RelatedDocument, Risk

PLAN_KW = ("round_slug", "ons_code")


@login_required
def your_plans(request):
    plans = selectors.plan_list_for_user(request.user)
    return render(request, "plans/your_plans.html", {"plans": plans})


@login_required
def plan_overview(request, round_slug: str, ons_code: str):
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    task_list = selectors.plan_for_task_list(plan)
    return render(
        request,
        "plans/plan_overview.html",
        {
            "plan": plan,
            "task_list": task_list,
            "can_edit": selectors.can_edit_plan(request.user, plan),
            "slots_to_sign": _slots_waiting_for(request.user, plan),
            "has_returns": _has_returns(plan),
        },
    )


def _has_returns(plan: Plan) -> bool:
    """Whether the plan reports in monitoring returns: approved, in a round with return periods (one query)."""
    if plan.status not in (Plan.Status.APPROVED, Plan.Status.APPROVED_WITH_CONDITIONS):
        return False
    return ReturnPeriod.objects.filter(round_id=plan.round_id).exists()


def _slots_waiting_for(user, plan: Plan) -> list:
    """Sign-off slots of this plan the user holds and has not yet signed.

    A signatory lands on the task list from "Your plans"; without this they had no sign
    that the plan was waiting for them. No queries unless the plan is awaiting sign-off.
    """
    if plan.status != Plan.Status.READY_FOR_SIGNOFF:
        return []
    # Signatures live in governance (a higher layer): read them through the reverse relation.
    signed = set(plan.signoffs.filter(voided_at__isnull=True).values_list("slot_id", flat=True))
    return [
        slot
        for slot in plan.round.signoff_slots.order_by("order")
        if slot.pk not in signed and permissions.can_sign_slot(user, plan, slot.code)
    ]


def _plan_kwargs(plan: Plan) -> dict:
    return {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}


def _section_url(plan: Plan, section: Section) -> str:
    return reverse("plans:section", kwargs={**_plan_kwargs(plan), "section_key": section.key})


# --- Conflicts -------------------------------------------------------------------------
#
# A save refused for a conflict is shown again as a merge form: conflicting fields hold
# the colleague's (newer) value, ready to edit, with the user's own value beside; the
# whole of what the user typed travels in a hidden field so "Keep your version" loses
# nothing. All three choices post back as an ordinary save with the current versions.


def _posted_data(data: QueryDict) -> dict[str, list[str]]:
    return {k: v for k, v in data.lists() if k not in ("csrfmiddlewaretoken", "action", "yours_json", "theirs_json")}


def _to_querydict(raw: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in raw.items():
        if isinstance(key, str) and isinstance(values, list) and all(isinstance(v, str) for v in values):
            query.setlist(key, values)
    return query


def _raw_values(form: django_forms.Form, name: str) -> dict[str, list[str]]:
    """The POST data that would carry this field's initial value."""
    bound = form[name]
    value = bound.initial
    widget = bound.field.widget
    if isinstance(widget, django_forms.MultiWidget):
        return {
            f"{bound.html_name}{suffix}": [p or ""]
            for suffix, p in zip(widget.widgets_names, widget.decompress(value), strict=False)
        }
    if isinstance(value, Model):
        value = value.pk
    if value is None:
        value = ""
    if isinstance(value, bool):
        value = "yes" if value else "no"
    return {bound.html_name: [str(value)]}


def _display(field: django_forms.Field, value) -> str:
    if value in (None, ""):
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(field, django_forms.ModelChoiceField):
        entry = field.queryset.filter(pk=value).first()
        return str(entry) if entry else str(value)
    if isinstance(field, django_forms.ChoiceField):
        return str(dict(field.choices).get(value, value))
    if hasattr(value, "strftime"):
        return f"{value.day} {value:%B %Y}"
    if hasattr(value, "quantize"):
        return f"£{value:,.2f}"
    return str(value)


def _conflict_page(
    request, *, plan, title, yours, fresh_form, form_class, form_kwargs, conflicts, back_url, extra=None
):
    """Render the merge page. `fresh_form` is unbound with the current stored values and versions."""
    version_fields = [n for n, f in fresh_form.fields.items() if isinstance(f.widget, django_forms.HiddenInput)]
    for name in version_fields:
        yours.update(_raw_values(fresh_form, name))
    theirs = dict(yours)
    rows = []
    for conflict in conflicts:
        name = form_class.field_name(conflict.key, conflict.attribute)
        if name not in fresh_form.fields:
            continue
        theirs.update(_raw_values(fresh_form, name))
        field = fresh_form.fields[name]
        rows.append(
            {
                "name": name,
                "label": conflict.label,
                "theirs": _display(field, conflict.theirs),
                "yours": _display(field, conflict.yours),
                "by": conflict.by,
                "field_id": fresh_form[name].auto_id,
            }
        )
    merge_form = form_class(_to_querydict(theirs), **form_kwargs)
    # The merge form starts from valid saved data; it is not judged until the user posts it.
    merge_form._errors = ErrorDict()
    merge_form.cleaned_data = {}
    context = {
        "plan": plan,
        "title": title,
        "form": merge_form,
        "conflicts": rows,
        "conflict_names": {r["name"] for r in rows},
        "yours_json": json.dumps(yours),
        "theirs_json": json.dumps(theirs),
        "back_url": back_url,
        **(extra or {}),
    }
    return render(request, "plans/conflict.html", context, status=409)


def _resolved_post(request) -> QueryDict:
    """The data to save: the form as posted, or the user's or colleague's whole version from a conflict page."""
    action = request.POST.get("action")
    source = {"keep_yours": "yours_json", "keep_theirs": "theirs_json"}.get(action)
    if not source:
        return request.POST
    try:
        raw = json.loads(request.POST.get(source, "{}"))
    except ValueError:
        raw = {}
    return _to_querydict(raw if isinstance(raw, dict) else {})


# --- Section pages ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def section(request: HttpRequest, round_slug: str, ons_code: str, section_key: str) -> HttpResponse:
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    section_obj = selectors.get_section(plan, section_key)
    if not any(q.kind == Question.Kind.NARRATIVE for q in section_obj.questions.all()):
        figures.none_to_read(plan)  # figures belong to narrative answers: nothing here to read them for
    can_edit = selectors.can_edit_plan(request.user, plan)
    page = selectors.section_for_editing(plan, section_obj)
    action = request.POST.get("action", "draft") if request.method == "POST" else None
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("You cannot change this plan.")
    # Only the one known value is honoured, so the parameter can never redirect anywhere else.
    wanted = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    return_to = selectors.RETURN_TO_CHECK if wanted == selectors.RETURN_TO_CHECK else ""

    if section_obj.table and not page["questions"] and not page["condition_questions"]:
        return _table_section(request, plan, section_obj, page, can_edit, action)

    form_kwargs = {
        "examples": hint_examples(plan.round),
        "questions": page["questions"],
        "condition_questions": page["condition_questions"],
        "answers": page["answers"],
        "responses": page["responses"],
    }
    if request.method == "POST":
        data = _resolved_post(request)
        complete = action == "complete"
        form = SectionForm(data, complete=complete, **form_kwargs)
        if form.is_valid():
            try:
                services.save_section(
                    user=request.user,
                    plan=plan,
                    section=section_obj,
                    answers=form.answer_edits(),
                    conditions=form.condition_edits(),
                    complete=complete,
                )
            except StaleEdit as stale:
                fresh = selectors.section_for_editing(plan, section_obj)
                fresh_kwargs = {**form_kwargs, "answers": fresh["answers"], "responses": fresh["responses"]}
                return _conflict_page(
                    request,
                    plan=plan,
                    title=section_obj.title,
                    yours=_posted_data(data),
                    fresh_form=SectionForm(**fresh_kwargs),
                    form_class=SectionForm,
                    form_kwargs=fresh_kwargs,
                    conflicts=stale.conflicts,
                    back_url=_section_url(plan, section_obj),
                    extra={"section": section_obj, "form_key": f"section:{section_obj.key}"},
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                return _after_save(request, plan, section_obj, action, return_to=return_to)
        status = 400
    else:
        form = SectionForm(**form_kwargs)
        status = 200
    return render(
        request,
        "plans/section.html",
        {
            **page,
            "plan": plan,
            "form": form,
            "can_edit": can_edit,
            "form_key": f"section:{section_obj.key}",
            # An aligned plan's shareable section: the group's shared text above this plan's addendum.
            "shared": groups.shared_context(request.user, plan, section_obj),
            "return_to": return_to,
        },
        status=status,
    )


def _after_save(request, plan: Plan, section_obj: Section, action: str, return_to: str = "") -> HttpResponse:
    # Come from check your answers: go back to the same section there, not on to the next one.
    back_to_check = f"{reverse('plans:check_answers', kwargs=_plan_kwargs(plan))}#section-{section_obj.key}"
    if action == "complete":
        messages.success(request, f"You marked ‘{section_obj.title}’ as completed.")
        if return_to:
            return redirect(back_to_check)
        return redirect("plans:plan_overview", **_plan_kwargs(plan))
    if action == "continue":
        return redirect(back_to_check if return_to else selectors.next_section_url(plan, section_obj))
    messages.success(request, "Your changes have been saved.")
    suffix = f"?next={return_to}" if return_to else ""
    return redirect(_section_url(plan, section_obj) + suffix)


def _table_section(request, plan, section_obj, page, can_edit, action):
    """A section that is a table (documents, risks, sign-off, or one built on another app's pages)."""
    if request.method == "POST":
        if action == "complete":
            try:
                services.complete_section(user=request.user, plan=plan, section=section_obj)
            except ValidationError as exc:
                # Income, expenditure and metrics are completed on their own pages, which check their rules.
                messages.warning(request, exc.messages[0])
                return redirect(selectors.section_url(plan, section_obj))
        return _after_save(request, plan, section_obj, action if action == "complete" else "continue")
    elsewhere_url = None
    if section_obj.table in selectors.TABLE_URL_NAMES:
        url = selectors.section_url(plan, section_obj)
        elsewhere_url = url if url != _section_url(plan, section_obj) else None
    return render(
        request,
        "plans/table_section.html",
        {
            **page,
            "plan": plan,
            "can_edit": can_edit,
            "elsewhere_url": elsewhere_url,
            "complete_here": section_obj.table not in services.RULED_TABLES,
            "form_key": f"section:{section_obj.key}",
        },
    )


@login_required
def section_history(request: HttpRequest, round_slug: str, ons_code: str, section_key: str) -> HttpResponse:
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    section_obj = selectors.get_section(plan, section_key)
    entries = selectors.section_history(plan, section_obj)
    return render(
        request,
        "plans/section_history.html",
        {
            "plan": plan,
            "section": section_obj,
            "entries": entries,
            "back_url": selectors.section_url(plan, section_obj),
        },
    )


@login_required
def check_answers(request: HttpRequest, round_slug: str, ons_code: str) -> HttpResponse:
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    summary = selectors.check_answers(plan)
    return render(
        request,
        "plans/check_answers.html",
        {"plan": plan, "summary": summary, "can_edit": selectors.can_edit_plan(request.user, plan)},
    )


# --- Risks and related documents -------------------------------------------------------


def _table_url(plan: Plan, table: str) -> str:
    section_obj = services.table_section(plan, table)
    if section_obj is None:
        return reverse("plans:plan_overview", kwargs=_plan_kwargs(plan))
    return selectors.section_url(plan, section_obj)


def _get_row(plan: Plan, model, pk: int):
    row = model.objects.filter(plan=plan, pk=pk).first()
    if row is None:
        raise Http404("No such row")
    return row


@dataclass(frozen=True)
class RowPages:
    """The add, change and remove pages of one kind of table row (a risk, a document, a scheme).

    `save` and `remove` are the row's services, called with the row's id as `id_name`;
    `form_kwargs(plan, row)` gives the form what it needs besides the data.
    """

    model: type[Model]
    form_class: type
    table: str
    noun: str
    id_name: str
    save: Callable
    remove: Callable
    describe: Callable[[Model], str]
    form_kwargs: Callable[[Plan, Model | None], dict] = lambda plan, row: {}

    def form_view(self):
        @login_required
        @require_http_methods(["GET", "POST"])
        def view(request, round_slug: str, ons_code: str, pk: int | None = None):
            plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
            return row_form_page(request, plan, self, pk)

        return view

    def remove_view(self):
        @login_required
        @require_http_methods(["GET", "POST"])
        def view(request, round_slug: str, ons_code: str, pk: int):
            plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)

            def remove(row, version):
                self.remove(user=request.user, plan=plan, version=version, **{self.id_name: row.pk})

            back_url = _table_url(plan, self.table)
            return remove_page(
                request,
                plan,
                model=self.model,
                pk=pk,
                remove=remove,
                back_url=back_url,
                noun=self.noun,
                describe=self.describe,
            )

        return view


def row_form_page(request, plan: Plan, pages: RowPages, pk: int | None) -> HttpResponse:
    """Add or change one row, with the version check and conflict page."""
    require_edit(user=request.user, plan=plan)
    form_class, noun = pages.form_class, pages.noun
    row = _get_row(plan, pages.model, pk) if pk else None
    back_url = _table_url(plan, pages.table)
    form_key = f"{noun}:{pk or 'new'}"
    if request.method == "POST":
        data = _resolved_post(request)
        form = form_class(data, request.FILES, **pages.form_kwargs(plan, row))
        if form.is_valid():
            try:
                pages.save(
                    user=request.user, plan=plan, **{pages.id_name: row.pk if row else None}, **form.save_kwargs()
                )
            except StaleEdit as stale:
                fresh_row = _get_row(plan, pages.model, pk)
                fresh_kwargs = pages.form_kwargs(plan, fresh_row)
                return _conflict_page(
                    request,
                    plan=plan,
                    title=f"Change {noun}",
                    yours=_posted_data(data),
                    fresh_form=form_class(initial=form_class.initial_for(fresh_row), **fresh_kwargs),
                    form_class=form_class,
                    form_kwargs=fresh_kwargs,
                    conflicts=stale.conflicts,
                    back_url=back_url,
                    extra={"form_key": form_key},
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"The {noun} has been {'saved' if row else 'added'}.")
                return redirect(back_url)
        status = 400
    else:
        initial = form_class.initial_for(row) if row else {"version": 0}
        form = form_class(initial=initial, **pages.form_kwargs(plan, row))
        status = 200
    return render(
        request,
        "plans/row_form.html",
        {"plan": plan, "form": form, "row": row, "back_url": back_url, "form_key": form_key, "noun": noun},
        status=status,
    )


def remove_page(request, plan, *, pk, remove, back_url, noun, describe, model):
    """Confirm and remove one row of a plan's table (also used by the finance app's lines).

    `remove(row, version)` calls the row's service; a row changed since the user opened it is not removed.
    """
    require_edit(user=request.user, plan=plan)
    row = _get_row(plan, model, pk)
    if request.method == "POST":
        form = ConfirmRemoveForm(request.POST)
        if form.is_valid():
            try:
                remove(row, form.cleaned_data.get("version"))
            except StaleEdit:
                messages.warning(
                    request, f"Someone changed this {noun} after you opened it. Check it before removing it."
                )
                return redirect(request.path)
            messages.success(request, f"The {noun} has been removed.")
            return redirect(back_url)
    return render(
        request,
        "plans/confirm_remove.html",
        {"plan": plan, "row": row, "noun": noun, "description": describe(row), "back_url": back_url},
    )


RISK_PAGES = RowPages(
    model=Risk,
    form_class=RiskForm,
    table=Section.Table.RISKS,
    noun="risk",
    id_name="risk_id",
    save=services.save_risk,
    remove=services.remove_risk,
    describe=lambda risk: risk.description,
    form_kwargs=lambda plan, row: {"round": plan.round},
)
DOCUMENT_PAGES = RowPages(
    model=RelatedDocument,
    form_class=DocumentForm,
    table=Section.Table.DOCUMENTS,
    noun="document",
    id_name="document_id",
    save=services.save_document,
    remove=services.remove_document,
    describe=lambda document: document.title,
    form_kwargs=lambda plan, row: {"round": plan.round, "has_file": bool(row and row.file)},
)
risk_form, risk_remove = RISK_PAGES.form_view(), RISK_PAGES.remove_view()
document_form, document_remove = DOCUMENT_PAGES.form_view(), DOCUMENT_PAGES.remove_view()


@login_required
def document_download(request, round_slug: str, ons_code: str, pk: int):
    """Serve an uploaded file only to people who may read the plan, always as a download."""
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    document = _get_row(plan, RelatedDocument, pk)
    if not document.file:
        raise Http404("No file")
    extension = document.file.name.rsplit(".", 1)[-1].lower()
    filename = document.original_filename or f"document.{extension}"
    if not filename.lower().endswith(f".{extension}"):
        filename = f"{filename}.{extension}"
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type={
            "pdf": "application/pdf",
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }.get(extension, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
