"""Export endpoints: request an export (POST), poll its status (JSON), download the file.

Every view fetches the plan through get_plan_for_user, so exports of other areas' plans 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import security
from plans.selectors import ASSURER_VISIBLE_STATUSES, get_plan_for_user

from . import exports
from .models import ExportJob, Submission

# A submission's files_status in the export panel's terms, and what the panel says before it polls.
SUBMISSION_FILE_STATUS = {
    "rendering": ("running", "Creating the PDF and workbook"),
    "failed": ("failed", "The PDF and workbook could not be created. Try again."),
    "done": ("done", "Ready to download"),
}


def _submitted_files(plan, kind: str) -> dict | None:
    """The submitted version's file of this kind, for a plan with NHS England; None before it is submitted.

    Once submitted, the plan's PDF and workbook are its submission's files, not a fresh export.
    """
    if plan.status not in ASSURER_VISIBLE_STATUSES:
        return None
    submission = Submission.objects.filter(plan=plan, version=plan.version).first()
    if submission is None:
        return None
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, "version": submission.version}
    return {
        "version": submission.version,
        "submitted_at": submission.submitted_at,
        "files": dict(zip(("status", "message"), SUBMISSION_FILE_STATUS[submission.files_status], strict=True)),
        "download_url": reverse("governance:download", kwargs={**kwargs, "kind": kind}),
        "status_url": reverse("governance:submission_progress", kwargs=kwargs),
        "retry_url": reverse("governance:submission_retry", kwargs=kwargs),
    }


def export_panel_context(plan, kind: str) -> dict:
    """What templates/includes/export_panel.html needs: the submitted file, or the kind and the latest job's status."""
    if kind not in exports.registered_kinds():
        return {}
    label = exports.export_kind(kind).label
    submitted = _submitted_files(plan, kind)
    if submitted is not None:
        return {"kind": kind, "label": label, "submitted": submitted}
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    job = exports.latest_job(plan, kind)
    if job is not None and job.status == ExportJob.Status.DONE and job.updated_at < plan.updated_at:
        # Made before the plan last changed status (sent for sign-off, signed off, returned): the
        # file shows a status and signatures the plan no longer has, so it is not offered.
        job = None
    context = {"kind": kind, "label": label, "job": job, "status": None}
    context["request_url"] = reverse("governance:export_request", kwargs={**kwargs, "kind": kind})
    if job is not None:
        context["status"] = exports.job_status(job)
        job_kwargs = {**kwargs, "job_id": job.pk}
        context["status_url"] = reverse("governance:export_status", kwargs=job_kwargs)
        if job.status == ExportJob.Status.DONE:
            context["download_url"] = reverse("governance:export_download", kwargs=job_kwargs)
    return context


def _job_payload(request, job: ExportJob, round_slug: str, ons_code: str) -> dict:
    payload = exports.job_status(job)
    kwargs = {"round_slug": round_slug, "ons_code": ons_code, "job_id": job.pk}
    payload["status_url"] = reverse("governance:export_status", kwargs=kwargs)
    if job.status == ExportJob.Status.DONE:
        payload["download_url"] = reverse("governance:export_download", kwargs=kwargs)
    return payload


@login_required
@require_POST
def request_export(request, round_slug: str, ons_code: str, kind: str):
    plan = get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    if kind not in exports.registered_kinds():
        raise Http404("No such export")
    job = exports.request_export(user=request.user, plan=plan, kind=kind)
    job.refresh_from_db()  # eager mode may already have finished it
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(_job_payload(request, job, round_slug, ons_code), status=202)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("plans:plan_overview", kwargs={"round_slug": round_slug, "ons_code": ons_code})
    messages.info(request, f"{exports.export_kind(kind).label}: {exports.job_status(job)['message']}")
    return redirect(f"{next_url}#export-{kind}")


@login_required
@require_GET
def export_status(request, round_slug: str, ons_code: str, job_id: int):
    plan = get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    job = get_object_or_404(ExportJob, pk=job_id, plan=plan)
    return JsonResponse(_job_payload(request, job, round_slug, ons_code))


@login_required
@require_GET
def export_download(request, round_slug: str, ons_code: str, job_id: int):
    plan = get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    job = get_object_or_404(ExportJob, pk=job_id, plan=plan, status=ExportJob.Status.DONE)
    if not job.file:
        raise Http404("No file")
    spec = exports.export_kind(job.kind)
    filename = f"BCF {plan.round.slug} {plan.hwb_area.name} {job.get_kind_display()}.{spec.extension}"
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=filename, content_type=spec.content_type)
    response["X-Content-SHA256"] = job.sha256
    security.record(
        security.Action.EXPORT_DOWNLOADED, request=request, plan=plan, detail={"kind": job.kind, "sha256": job.sha256}
    )
    return response
