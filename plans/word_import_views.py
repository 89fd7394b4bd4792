"""Importing a Word plan: upload a .docx, place each piece of it in the preview, then apply or discard.

Thin views over plans.services (start_word_import, apply_word_import, discard_word_import). The plan
comes through the scoped getter (404 outside the user's areas), and a preview only to the user who
uploaded it (404 for anyone else); every write checks the user may edit the plan.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from rounds.models import Question

from . import selectors, services
from .editing import StaleEdit, require_edit
from .forms import WordPreviewForm, WordUploadForm
from .models import Plan, WordImport
from .word_import import MAX_MEDIA_SIZE, WordRejected


def _plan_url(plan: Plan, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, **kwargs})


@login_required
@require_http_methods(["GET", "POST"])
def word_import_start(request, round_slug: str, ons_code: str):
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    require_edit(user=request.user, plan=plan)
    form = WordUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.start_word_import(user=request.user, plan=plan, upload=form.cleaned_data["document"])
        except WordRejected as refused:
            form.add_error("document", f"The document was not imported. {refused.message}.")
        else:
            return redirect(_plan_url(plan, "plans:word_import_preview", import_id=record.pk))
    return render(
        request,
        "plans/word_import.html",
        {"plan": plan, "form": form, "max_media_mb": MAX_MEDIA_SIZE // 1048576},
    )


def _preview_for(request, plan: Plan, import_id: int) -> WordImport:
    record = WordImport.objects.filter(
        pk=import_id, plan=plan, user=request.user, status=WordImport.Status.PREVIEW
    ).first()
    if record is None:
        raise Http404("No such import")
    return record


@login_required
@require_http_methods(["GET", "POST"])
def word_import_preview(request, round_slug: str, ons_code: str, import_id: int):
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    record = _preview_for(request, plan, import_id)
    require_edit(user=request.user, plan=plan)
    if request.method == "POST" and request.POST.get("action") == "discard":
        services.discard_word_import(user=request.user, plan=plan, word_import_id=record.pk)
        messages.success(request, "The Word document was discarded. Nothing in the plan was changed.")
        return redirect(_plan_url(plan, "plans:plan_overview"))
    questions = list(
        Question.objects.filter(section__in=selectors.plan_sections(plan), kind=Question.Kind.NARRATIVE)
        .select_related("section")
        .order_by("section__order", "order")
    )
    # Which answers to show beside the imported text: those the chosen places would change.
    placements = {
        piece["id"]: request.POST.get(f"piece-{piece['id']}", piece["target"])
        if request.method == "POST"
        else piece["target"]
        for piece in record.pieces
    }
    try:
        imported = services.imported_answers(plan=plan, pieces=record.pieces, placements=placements)
    except ValidationError:
        imported = []
    answered = [item for item in imported if item.current.strip()]
    form = WordPreviewForm(
        request.POST if request.method == "POST" else None, pieces=record.pieces, questions=questions, answered=answered
    )
    if request.method == "POST" and form.is_valid():
        decisions = {item.question.pk: form.cleaned_data[f"decision-{item.question.pk}"] for item in answered}
        seen = {item.question.pk: form.cleaned_data.get(f"version-{item.question.pk}") for item in answered}
        try:
            written = services.apply_word_import(
                user=request.user,
                plan=plan,
                word_import_id=record.pk,
                placements=form.placements(),
                decisions=decisions,
                seen_versions=seen,
            )
        except StaleEdit:
            form.add_error(
                None, "Someone changed an answer after you opened this page: check it below and choose again."
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"The Word document was imported: {written} answers and rows were saved.")
            return redirect(_plan_url(plan, "plans:plan_overview"))
    return render(
        request,
        "plans/word_import_preview.html",
        {
            "plan": plan,
            "record": record,
            "form": form,
            "pieces": [{**piece, "field": form[f"piece-{piece['id']}"]} for piece in record.pieces],
            "answered": [
                {
                    "item": item,
                    "field": form[f"decision-{item.question.pk}"],
                    "version": form[f"version-{item.question.pk}"],
                }
                for item in answered
            ],
            "unmatched": sum(1 for piece in record.pieces if not piece["target"]),
        },
    )
