"""Admin for national administrators: plans and their Part 1 content (with history)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from rounds.columns import clean_values
from rounds.models import CodeListEntry

from . import models
from .admin_content import PlanContentAdmin

admin.site.register(models.PlanGroup)


@admin.register(models.Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["hwb_area", "round", "status", "version", "updated_at"]
    list_filter = ["round", "status", "hwb_area__region"]
    search_fields = ["hwb_area__name", "hwb_area__ons_code"]
    # Only the workflow moves a plan (governance.services): a plan added here starts in Draft, version 1.
    readonly_fields = ["status", "version", "phase"]  # moved only by the workflow (governance.services)


@admin.register(models.Answer)
class AnswerAdmin(PlanContentAdmin):
    list_display = ["plan", "question", "version", "updated_at", "updated_by"]
    list_filter = ["plan__round"]


@admin.register(models.SectionProgress)
class SectionProgressAdmin(admin.ModelAdmin):
    list_display = ["plan", "section", "status", "updated_at"]
    list_filter = ["status"]


class RowValuesForm(forms.ModelForm):
    """A risk's or document's round-defined values (JSON by column key) held to its round's columns."""

    table = ""

    def clean(self):
        data = super().clean()
        plan = data.get("plan") or getattr(self.instance, "plan", None)
        if plan is None:
            return data
        table_columns = plan.round.table_columns(self.table)
        codes: dict[str, set[str]] = {}
        for list_name, code in CodeListEntry.objects.filter(round_id=plan.round_id).values_list("list", "code"):
            codes.setdefault(list_name, set()).add(code)
        try:
            data["values"] = clean_values(table_columns, self.table, data.get("values") or {}, codes)
        except ValidationError as exc:
            self.add_error("values", f"{exc.code}: {exc.messages[0]}")
        return data


class RiskAdminForm(RowValuesForm):
    table = "risks"


class DocumentAdminForm(RowValuesForm):
    table = "documents"


@admin.register(models.RelatedDocument)
class RelatedDocumentAdmin(PlanContentAdmin):
    form = DocumentAdminForm
    list_display = ["title", "plan", "ref", "values"]


@admin.register(models.ConditionResponse)
class ConditionResponseAdmin(PlanContentAdmin):
    list_display = ["plan", "question", "status", "target_date"]


@admin.register(models.Risk)
class RiskAdmin(PlanContentAdmin):
    form = RiskAdminForm
    list_display = ["__str__", "plan", "rating", "owner", "values"]


admin.site.register(models.UnsavedDraft)
