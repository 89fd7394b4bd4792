"""Figures of a plan's narrative answers in its pages (plans.figures): one query per page, however many questions."""

from django import template

from plans.figures import figure_data_uri_of, figures_by_question

register = template.Library()


@register.simple_tag
def figures_for(plan, question) -> list:
    """The figures of one question's answer in this plan, in order."""
    if plan is None or question is None:
        return []
    return figures_by_question(plan).get(question.pk, [])


@register.filter
def figure_data_uri(name: str) -> str:
    """A stored figure as a data: URI, so the PDF embeds it without fetching anything (governance.pdf)."""
    return figure_data_uri_of(name)
