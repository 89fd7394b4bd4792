"""The return's workbook: download it, and import one filled in offline (upload, preview, confirm)."""

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plans.editing import StaleEdit

from . import permissions, selectors
from .workbook import return_workbook, return_workbook_bytes
from .workbook_import import WorkbookRejected, apply_return_import, read_return_workbook

IMPORT_SESSION_KEY = "return_import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReturnWorkbookUploadForm(forms.Form):
    workbook = forms.FileField(
        label="Upload the return workbook",
        help_text="An Excel workbook (.xlsx) exported from this return. Smaller than 10 MB.",
        error_messages={"required": "Choose a workbook to upload", "empty": "The file is empty"},
    )


def _return(request, round_slug: str, ons_code: str, period_key: str):
    return selectors.get_return_for_user(request.user, round_slug=round_slug, ons_code=ons_code, period_key=period_key)


def _editable_return(request, round_slug: str, ons_code: str, period_key: str):
    ret = _return(request, round_slug, ons_code, period_key)
    if not permissions.can_edit_return(request.user, ret):
        raise PermissionDenied("Only the area's commissioners can import a workbook, until the return is submitted.")
    return ret


def _kwargs(ret) -> dict:
    return {"round_slug": ret.plan.round.slug, "ons_code": ret.plan.hwb_area.ons_code, "period_key": ret.period.key}


def _forget_pending(request) -> None:
    pending = request.session.pop(IMPORT_SESSION_KEY, None)
    if pending and pending.get("name"):
        default_storage.delete(pending["name"])


def _upload_page(request, ret, *, form=None, errors=(), problem: str = "", status: int = 200):
    return render(
        request,
        "monitoring/import.html",
        {
            "ret": ret,
            "plan": ret.plan,
            "form": form or ReturnWorkbookUploadForm(),
            "errors": list(errors),
            "problem": problem,
            "max_mb": settings.MAX_UPLOAD_SIZE // 1048576,
        },
        status=status,
    )


@login_required
@require_GET
def export(request, round_slug: str, ons_code: str, period_key: str):
    """Download the return's workbook (anyone who may read the return)."""
    ret = _return(request, round_slug, ons_code, period_key)
    response = HttpResponse(return_workbook_bytes(ret), content_type=XLSX)
    name = f"bcf-return-{ret.plan.hwb_area.ons_code}-{ret.period.key}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_workbook(request, round_slug: str, ons_code: str, period_key: str):
    """Upload a workbook and preview exactly what it would change; nothing is written here."""
    ret = _editable_return(request, round_slug, ons_code, period_key)
    if request.method == "GET":
        return _upload_page(request, ret)
    form = ReturnWorkbookUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, ret, form=form, status=400)
    upload = form.cleaned_data["workbook"]
    data = upload.read(settings.MAX_UPLOAD_SIZE + 1)
    try:
        found = read_return_workbook(data, return_workbook(ret))
    except WorkbookRejected as rejected:
        return _upload_page(request, ret, form=form, errors=rejected.errors, status=400)
    _forget_pending(request)
    name = default_storage.save(f"imports/{uuid.uuid4().hex}.xlsx", ContentFile(data))
    # The file and the versions read now: the confirm applies the same workbook, and fails if a row moved since.
    request.session[IMPORT_SESSION_KEY] = {
        "name": name,
        "ret": ret.pk,
        "filename": upload.name[:200],
        "versions": found.versions,
    }
    return render(
        request,
        "monitoring/import_preview.html",
        {"ret": ret, "plan": ret.plan, "changes": found.changes, "filename": upload.name},
    )


@login_required
@require_POST
def import_confirm(request, round_slug: str, ons_code: str, period_key: str):
    """Apply the previewed workbook's changes in one transaction."""
    ret = _editable_return(request, round_slug, ons_code, period_key)
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending or pending.get("ret") != ret.pk or not default_storage.exists(pending["name"]):
        messages.warning(request, "Upload the workbook again: the preview has expired.")
        return redirect("monitoring:import", **_kwargs(ret))
    with default_storage.open(pending["name"], "rb") as handle:
        data = handle.read()
    try:
        changed = apply_return_import(user=request.user, ret=ret, data=data, versions=pending["versions"])
    except WorkbookRejected as rejected:
        _forget_pending(request)
        return _upload_page(request, ret, errors=rejected.errors, status=400)
    except StaleEdit:
        _forget_pending(request)
        return _upload_page(
            request,
            ret,
            problem="Someone changed the return after you checked the workbook, so nothing was imported. "
            "Upload the workbook again to see what it would change now.",
            status=409,
        )
    _forget_pending(request)
    if changed:
        messages.success(request, f"The workbook has been imported: {changed} rows of the return changed.")
    else:
        messages.info(request, "The workbook matched the return, so nothing was changed.")
    return redirect("monitoring:task_list", **_kwargs(ret))
