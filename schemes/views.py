"""The schemes table of a plan: list, add, change and remove. The plan is always fetched with get_plan_for_user."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from plans import selectors as plan_selectors
from plans import services as plan_services
from plans import views as plan_views
from rounds.models import Section

from . import selectors, services
from .forms import SchemeForm
from .models import Scheme


def _schemes_section(plan):
    section = plan_selectors.table_section(plan, Section.Table.SCHEMES)
    if section is None:
        raise Http404("This round has no schemes table")
    return section


@login_required
@require_http_methods(["GET", "POST"])
def scheme_list(request, round_slug: str, ons_code: str):
    plan = plan_selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    section = _schemes_section(plan)
    can_edit = plan_selectors.can_edit_plan(request.user, plan)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("You cannot change this plan.")
        if request.POST.get("action") == "complete":
            plan_services.complete_section(user=request.user, plan=plan, section=section)
            return redirect("plans:plan_overview", round_slug=round_slug, ons_code=ons_code)
        return redirect(plan_selectors.next_section_url(plan, section))
    page = plan_selectors.section_for_editing(plan, section)
    schemes = selectors.schemes_for_plan(plan)
    return render(
        request,
        "schemes/scheme_list.html",
        {
            **page,
            "plan": plan,
            "schemes": schemes,
            "schemes_key": selectors.schemes_table_key(schemes),
            "can_edit": can_edit,
            "schemes_url": request.path,
        },
    )


SCHEME_PAGES = plan_views.RowPages(
    model=Scheme,
    form_class=SchemeForm,
    table=Section.Table.SCHEMES,
    noun="scheme",
    id_name="scheme_id",
    save=services.save_scheme,
    remove=services.remove_scheme,
    describe=lambda scheme: f"{scheme.reference} {scheme.name}",
    form_kwargs=lambda plan, row: {"round": plan.round},
)
scheme_form, scheme_remove = SCHEME_PAGES.form_view(), SCHEME_PAGES.remove_view()
