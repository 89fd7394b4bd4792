"""The capacity and demand pages: the round's table with the plan's figures, and one block's form.

Every view fetches the plan with get_plan_for_user; edits go through capacity.services.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from plans import selectors as plan_selectors
from plans import services as plan_services
from plans.editing import StaleEdit, require_edit
from rounds.models import Section

from . import selectors, services
from .forms import CapacityBlockForm


def _plan_and_definition(request, round_slug, ons_code):
    plan = plan_selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    definition = selectors.definition_for_plan(plan)
    if definition is None:
        raise Http404("This round has no capacity and demand table")
    return plan, definition


@login_required
@require_http_methods(["GET", "POST"])
def tables(request, round_slug: str, ons_code: str):
    plan, definition = _plan_and_definition(request, round_slug, ons_code)
    errors = []
    context = plan_selectors.table_section_context(plan, Section.Table.CAPACITY_DEMAND)
    if request.method == "POST":
        if context["section"] is None:
            raise Http404("This round has no capacity and demand section")
        try:
            plan_services.complete_section(user=request.user, plan=plan, section=context["section"])
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, f"You have marked ‘{context['section'].title}’ as completed.")
            return redirect("plans:plan_overview", round_slug=round_slug, ons_code=ons_code)
    section = context["section"]
    page = plan_selectors.section_for_editing(plan, section) if section is not None else {}
    return render(
        request,
        "capacity/tables.html",
        {
            "plan": plan,
            **context,
            "questions": page.get("questions", []),
            "answers": page.get("answers", {}),
            "can_edit": plan_selectors.can_edit_plan(request.user, plan),
            "tables": selectors.capacity_for_plan(plan),
            "completion_errors": errors,
            "page_has_errors": bool(errors),
        },
        status=400 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def block_form(request, round_slug: str, ons_code: str, block_key: str):
    plan, definition = _plan_and_definition(request, round_slug, ons_code)
    require_edit(user=request.user, plan=plan)
    block = definition.block(block_key)
    if block is None:
        raise Http404("No such block")
    figures = selectors.figures_for_plans([plan.pk])[plan.pk]
    status = 200
    if request.method == "POST":
        form = CapacityBlockForm(request.POST, definition=definition, block=block)
        if form.is_valid():
            try:
                services.save_block(
                    user=request.user,
                    plan=plan,
                    block=block,
                    fingerprint=form.cleaned_data["fingerprint"],
                    figures=form.figures(),
                )
            except StaleEdit:
                form.add_error(None, StaleEdit.message_for("table"))
                status = 409
            else:
                messages.success(request, f"The figures for ‘{block.label}’ have been saved.")
                return redirect("capacity:tables", round_slug=round_slug, ons_code=ons_code)
        else:
            status = 400
        if status == 409:
            # The user's figures stay in the form; the hidden fingerprint moves to what is saved now,
            # so saving again (after checking the figures below) keeps theirs over the colleague's.
            figures = selectors.figures_for_plans([plan.pk])[plan.pk]
            data = request.POST.copy()
            data["fingerprint"] = selectors.block_fingerprint(block, figures)
            form = CapacityBlockForm(data, definition=definition, block=block)
            form.is_valid()
            form.add_error(None, StaleEdit.message_for("table"))
    else:
        form = CapacityBlockForm(
            initial=CapacityBlockForm.initial_for(
                definition, block, figures, selectors.block_fingerprint(block, figures)
            ),
            definition=definition,
            block=block,
        )
    saved = selectors.capacity_tables(definition, figures)
    return render(
        request,
        "capacity/block_form.html",
        {
            "plan": plan,
            "definition": definition,
            # Not "block": inside {% block %} Django's template engine keeps its own variable of that name.
            "cd_block": block,
            "form": form,
            "saved": next(b for b in saved.blocks if b.block.key == block.key),
            "show_saved": status == 409,
            "form_key": services.form_key(block),
        },
        status=status,
    )
