from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Scheme


@admin.register(Scheme)
class SchemeAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "name", "plan", "scheme_type", "area_of_spend", "is_new"]
    list_filter = ["plan__round"]
    search_fields = ["name", "reference"]
