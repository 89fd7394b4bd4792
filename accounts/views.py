"""Account pages: the security audit log (/audit/), which national administrators read and filter.

Signing in and out are Django's own views (accounts.urls)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import permissions, security
from .models import SecurityEvent

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label="Event", required=False, choices=[("", "All events"), *SecurityEvent.Action.choices]
    )
    user = forms.CharField(label="User (email)", required=False, max_length=254)
    area = forms.CharField(label="Area (name or ONS code)", required=False, max_length=100)
    date_from = forms.DateField(label="From (YYYY-MM-DD)", required=False)
    date_to = forms.DateField(label="To (YYYY-MM-DD)", required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "Enter a 'to' date on or after the 'from' date")
        return data


@login_required
@require_GET
def audit_log(request):
    if not permissions.allowed(request.user, "accounts.view_audit_log"):
        raise PermissionDenied("Only national administrators can read the audit log.")
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    events = security.audit_events(**{k: v for k, v in filters.items() if v})
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "page_has_errors": form.is_bound and bool(form.errors),
        },
    )
