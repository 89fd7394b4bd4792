"""The metrics page: each round metric's ambition and any local metrics.

Every view fetches the plan with get_plan_for_user; edits go through metrics.services.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from plans import selectors as plan_selectors
from plans import services as plan_services
from plans.editing import StaleEdit, require_edit
from rounds.examples import hint_examples
from rounds.models import Metric, Section

from . import selectors, services
from .forms import AmbitionForm
from .models import MetricAmbition


def _plan(request, round_slug, ons_code):
    return plan_selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)


@login_required
@require_http_methods(["GET", "POST"])
def ambitions(request, round_slug: str, ons_code: str):
    plan = _plan(request, round_slug, ons_code)
    errors = []
    if request.method == "POST":
        section = plan_services.table_section(plan, Section.Table.METRICS)
        if section is None:
            raise Http404("This round has no metrics section")
        try:
            plan_services.complete_section(user=request.user, plan=plan, section=section)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, f"You have marked ‘{section.title}’ as completed.")
            return redirect("plans:plan_overview", round_slug=round_slug, ons_code=ons_code)
    return render(
        request,
        "metrics/ambitions.html",
        {
            "plan": plan,
            **plan_selectors.table_section_context(plan, Section.Table.METRICS),
            "can_edit": plan_selectors.can_edit_plan(request.user, plan),
            "rows": selectors.ambitions_for_plan(plan),
            "completion_errors": errors,
            "page_has_errors": bool(errors),
        },
        status=400 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def ambition_form(request, round_slug: str, ons_code: str, metric_key: str | None = None, pk: int | None = None):
    """Set the ambition for a round metric (by key), change a local metric (by id) or add a local one."""
    plan = _plan(request, round_slug, ons_code)
    require_edit(user=request.user, plan=plan)
    metric = ambition = None
    if metric_key is not None:
        metric = Metric.objects.filter(round_id=plan.round_id, key=metric_key).first()
        if metric is None:
            raise Http404("No such metric")
        ambition = MetricAmbition.objects.filter(plan=plan, metric=metric).first()
        periods = list(metric.periods)
    else:
        if pk is not None:
            ambition = MetricAmbition.objects.filter(plan=plan, pk=pk, metric__isnull=True).first()
            if ambition is None:
                raise Http404("No such metric")
        periods = [p.period for p in ambition.planned_values.all()] if ambition else []
    back_url = reverse("metrics:ambitions", kwargs={"round_slug": round_slug, "ons_code": ons_code})
    status = 200
    if request.method == "POST":
        form = AmbitionForm(request.POST, metric=metric, periods=periods, examples=hint_examples(plan.round))
        if form.is_valid():
            try:
                services.save_ambition(
                    user=request.user,
                    plan=plan,
                    ambition=ambition,
                    metric=metric,
                    version=form.cleaned_data.get("version"),
                    values=form.cleaned_data,
                    planned=form.planned_values(),
                )
            except StaleEdit:
                form.add_error(None, StaleEdit.message_for("metric"))
                status = 409
            else:
                messages.success(request, "The metric has been saved.")
                return redirect(back_url)
        else:
            status = 400
    else:
        form = AmbitionForm(
            initial=AmbitionForm.initial_for(ambition, periods),
            metric=metric,
            periods=periods,
            examples=hint_examples(plan.round),
        )
    current = MetricAmbition.objects.get(pk=ambition.pk) if status == 409 and ambition else None
    return render(
        request,
        "metrics/ambition_form.html",
        {
            "plan": plan,
            "form": form,
            "metric": metric,
            "ambition": ambition,
            "current": current,
            "back_url": back_url,
        },
        status=status,
    )
