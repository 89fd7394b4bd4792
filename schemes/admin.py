from django.contrib import admin

from plans.admin_content import PlanContentAdmin

from .models import Scheme


@admin.register(Scheme)
class SchemeAdmin(PlanContentAdmin):
    list_display = ["reference", "name", "plan", "scheme_type", "area_of_spend", "is_new"]
    list_filter = ["plan__round"]
    search_fields = ["name", "reference"]
