"""The export panel's context from any plan page, without the view having to build it.

    {% load export_tags %}{% export_panel_context plan "pdf" as export %}
    {% include "includes/export_panel.html" with export=export %}

Same shape as finance.views.export_panel_context, which plans may not import (layers).
"""

from django import template
from django.urls import reverse

from plans import exports
from plans.models import ExportJob, Plan

register = template.Library()


@register.simple_tag
def export_panel_context(plan: Plan, kind: str) -> dict:
    if kind not in exports.registered_kinds():
        return {}
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    job = exports.latest_job(plan, kind)
    context = {"kind": kind, "label": exports.export_kind(kind).label, "job": job, "status": None}
    context["request_url"] = reverse("plans:export_request", kwargs={**kwargs, "kind": kind})
    if job is not None:
        context["status"] = exports.job_status(job)
        context["status_url"] = reverse("plans:export_status", kwargs={**kwargs, "job_id": job.pk})
        if job.status == ExportJob.Status.DONE:
            context["download_url"] = reverse("plans:export_download", kwargs={**kwargs, "job_id": job.pk})
    return context
