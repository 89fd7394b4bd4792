"""A URLconf for browser tests of the authoring scripts on their own.

It serves the project's real URLs plus one page that follows the editing-form contract
(data-autosave-form, data-form-key, textarea[data-markdown], the autosave include), so
autosave, restore, paste and preview can be tested whatever state the section pages are in.
The page saves like a real one: it writes an Answer and discards the user's draft.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.urls import path

from bcf_portal.urls import urlpatterns as project_urlpatterns
from plans import drafts, selectors
from plans.editing import require_edit
from plans.markdown import render_markdown

PAGE = engines["django"].from_string(
    """{% extends "base.html" %}
{% block title %}Test section{% endblock %}
{% block content %}
{% include "includes/autosave.html" with plan=plan %}
<h1 class="govuk-heading-l">Test section</h1>
<form method="post" novalidate data-autosave-form data-form-key="section:harness" data-autosave-interval="{{ interval }}">
  {% csrf_token %}
  <input type="hidden" name="version" value="{{ version }}">
  <div class="govuk-form-group">
    <label class="govuk-label govuk-label--m" for="id_vision">Vision</label>
    <textarea class="govuk-textarea app-markdown-input" data-markdown id="id_vision" name="vision" rows="8">{{ vision }}</textarea>
  </div>
  <div class="govuk-form-group">
    <label class="govuk-label" for="id_owner">Owner</label>
    <input class="govuk-input" id="id_owner" name="owner" type="text" value="{{ owner }}">
  </div>
  <div class="govuk-form-group">
    <fieldset class="govuk-fieldset">
      <legend class="govuk-fieldset__legend">Concerns NHS providers?</legend>
      <div class="govuk-radios govuk-radios--inline" data-module="govuk-radios">
        <div class="govuk-radios__item">
          <input class="govuk-radios__input" id="id_nhs_yes" name="nhs" type="radio" value="yes"{% if nhs == "yes" %} checked{% endif %}>
          <label class="govuk-label govuk-radios__label" for="id_nhs_yes">Yes</label>
        </div>
        <div class="govuk-radios__item">
          <input class="govuk-radios__input" id="id_nhs_no" name="nhs" type="radio" value="no"{% if nhs == "no" %} checked{% endif %}>
          <label class="govuk-label govuk-radios__label" for="id_nhs_no">No</label>
        </div>
      </div>
    </fieldset>
  </div>
  <button type="submit" class="govuk-button" data-module="govuk-button">Save and continue</button>
</form>
<div class="app-markdown" id="saved-answer">{{ saved_html }}</div>
{% endblock %}"""
)

# What the harness page has saved, per plan: enough to prove a save clears the draft.
SAVED: dict[int, dict] = {}


@login_required
def harness_page(request, round_slug: str, ons_code: str):
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    saved = SAVED.setdefault(plan.pk, {"vision": "", "owner": "", "nhs": "", "version": 1})
    if request.method == "POST":
        require_edit(user=request.user, plan=plan)
        saved.update({k: request.POST.get(k, "") for k in ("vision", "owner", "nhs")})
        saved["version"] += 1
        drafts.discard_draft(user=request.user, plan=plan, form_key="section:harness")
        messages.success(request, "Your answers have been saved.")
        return redirect(request.path)
    context = {
        **saved,
        "plan": plan,
        "saved_html": render_markdown(saved["vision"]),
        # A long interval lets a test prove the page-close beacon alone saves the draft.
        "interval": request.GET.get("interval", "500"),
    }
    return HttpResponse(PAGE.render(context, request))


urlpatterns = [
    path("plans/<slug:round_slug>/<str:ons_code>/test-section/", harness_page, name="test_section"),
    *project_urlpatterns,
]
