"""The export panel's context from any plan page, without the view having to build it.

{% load export_tags %}{% export_panel_context plan "pdf" as export %}
{% include "includes/export_panel.html" with export=export %}
"""

from django import template

from governance import export_views

register = template.Library()


@register.simple_tag
def export_panel_context(plan, kind: str) -> dict:
    return export_views.export_panel_context(plan, kind)
