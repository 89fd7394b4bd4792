"""National administration pages: planning rounds (open, close, deadlines, create every area's plan),
reference data import with a preview, and every area's progress against a round's deadline.

National administrators only; each view refuses anyone else before reading anything.
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from plans.selectors import is_national_admin
from rounds import reference_import
from rounds.models import PlanningRound

from . import national_progress, national_rounds
from .national_forms import DeadlinesForm, ReferenceUploadForm

IMPORT_SESSION_KEY = "reference_import"


def _require_national_admin(request) -> None:
    if not is_national_admin(request.user):
        raise PermissionDenied("These pages are for national administrators.")


def _round(request, round_slug: str) -> PlanningRound:
    _require_national_admin(request)
    return get_object_or_404(PlanningRound, slug=round_slug)


@login_required
def rounds(request):
    _require_national_admin(request)
    return render(request, "governance/national_rounds.html", {"rounds": national_progress.rounds_list()})


@login_required
def round_setup(request, round_slug: str):
    planning_round = _round(request, round_slug)
    form = DeadlinesForm(request.POST or None, planning_round=planning_round)
    if request.method == "POST" and form.is_valid():
        try:
            national_rounds.set_deadlines(
                user=request.user,
                planning_round=planning_round,
                draft_deadline=form.cleaned_data["draft_deadline"],
                final_deadline=form.cleaned_data["final_deadline"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "The deadlines have been saved.")
            return redirect("governance:national_round", round_slug=planning_round.slug)
    return render(
        request,
        "governance/national_round.html",
        {
            "round": planning_round,
            "form": form,
            "area_count": national_rounds.areas_of_round(planning_round).count(),
            "plan_count": planning_round.plans.count(),
            "page_has_errors": form.is_bound and bool(form.errors),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def round_open(request, round_slug: str):
    planning_round = _round(request, round_slug)
    is_open = request.POST.get("open") == "yes"
    national_rounds.set_round_open(user=request.user, planning_round=planning_round, is_open=is_open)
    messages.success(request, f"{planning_round.name} is now {'open' if is_open else 'closed'}.")
    return redirect("governance:national_round", round_slug=planning_round.slug)


@login_required
@require_POST
def create_plans(request, round_slug: str):
    planning_round = _round(request, round_slug)
    try:
        result = national_rounds.create_plans_for_round(user=request.user, planning_round=planning_round)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("governance:national_round", round_slug=planning_round.slug)
    return render(request, "governance/national_plans_created.html", {"round": planning_round, "result": result})


@login_required
def round_progress(request, round_slug: str):
    planning_round = _round(request, round_slug)
    return render(request, "governance/national_progress.html", national_progress.round_progress(planning_round))


def _forget_pending(request) -> None:
    pending = request.session.pop(IMPORT_SESSION_KEY, None)
    if pending and pending.get("name"):
        default_storage.delete(pending["name"])


@login_required
def import_reference_data(request):
    """Upload a file and preview what it would change; nothing is written here."""
    _require_national_admin(request)
    form = ReferenceUploadForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload, what, planning_round = (form.cleaned_data[k] for k in ("file", "what", "round"))
        data = upload.read(settings.MAX_UPLOAD_SIZE + 1)
        planning_round = planning_round if what == "allocations" else None
        try:
            preview = reference_import.read_reference(what, data, upload.name, planning_round)
        except reference_import.ReferenceRejected as rejected:
            errors = rejected.errors
        else:
            _forget_pending(request)
            name = default_storage.save(f"imports/reference-{uuid.uuid4().hex}", ContentFile(data))
            request.session[IMPORT_SESSION_KEY] = {
                "name": name,
                "what": what,
                "round": planning_round.slug if planning_round else "",
                "filename": upload.name[:200],
            }
            return render(
                request,
                "governance/national_import_preview.html",
                {"preview": preview, "filename": upload.name, "label": reference_import.KIND_LABELS[what]},
            )
    failed = request.method == "POST" and (bool(errors) or bool(form.errors))
    return render(
        request,
        "governance/national_import.html",
        {
            "form": form,
            "errors": errors,
            "columns": reference_import.COLUMNS,
            "labels": reference_import.KIND_LABELS,
            "max_mb": settings.MAX_UPLOAD_SIZE // 1048576,
            "page_has_errors": failed,
        },
        status=400 if failed else 200,
    )


@login_required
@require_POST
def import_reference_data_confirm(request):
    """Apply the previewed file in one transaction, validated again."""
    _require_national_admin(request)
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending or not default_storage.exists(pending["name"]):
        messages.warning(request, "Upload the file again: the preview has expired.")
        return redirect("governance:national_import")
    with default_storage.open(pending["name"], "rb") as handle:
        data = handle.read()
    planning_round = PlanningRound.objects.filter(slug=pending["round"]).first() if pending["round"] else None
    try:
        preview = reference_import.apply_reference(pending["what"], data, pending["filename"], planning_round)
    except reference_import.ReferenceRejected as rejected:
        _forget_pending(request)
        return render(
            request,
            "governance/national_import.html",
            {
                "form": ReferenceUploadForm(),
                "errors": rejected.errors,
                "columns": reference_import.COLUMNS,
                "labels": reference_import.KIND_LABELS,
                "max_mb": settings.MAX_UPLOAD_SIZE // 1048576,
                "page_has_errors": True,
            },
            status=400,
        )
    _forget_pending(request)
    label = reference_import.KIND_LABELS[pending["what"]]
    counts = ", ".join(f"{preview.count(k)} {k}" for k in ("added", "changed", "removed"))
    messages.success(request, f"{label} imported from {pending['filename']}: {counts}.")
    return redirect("governance:national_import")
