"""Unsaved drafts: what a user typed into a plan form but has not saved yet.

The browser posts the form's values every few seconds (plans:autosave); the page offers
them back after a crash, a closed tab or an expired session. A successful save of the
form discards the draft, so only typing newer than the saved data is ever offered.
"""

from typing import Any

from django.db import transaction

from accounts.models import User

from . import selectors
from .editing import require_edit
from .markdown import MAX_MARKDOWN_CHARS, too_long_message
from .models import Plan, UnsavedDraft

# A form key names one form of one plan: "section:1c", "risk:new", "scheme:42".
FORM_KEY_MAX_LENGTH = UnsavedDraft._meta.get_field("form_key").max_length
# Drafts are typing, not uploads: cap them so the endpoint cannot be used as storage. The widest
# form is a capacity and demand block: 7 service types over 24 months is 336 figures.
MAX_DRAFT_FIELDS = 400
MAX_DRAFT_CHARS = 200_000


class InvalidDraft(ValueError):
    """The posted draft is not a flat mapping of field names to strings within the limits."""


def clean_draft_data(data: Any) -> dict[str, str | list[str]]:
    """Keep only field name → string (or list of strings, for multi-value fields)."""
    if not isinstance(data, dict):
        raise InvalidDraft("Draft data must be an object of field names and values.")
    if len(data) > MAX_DRAFT_FIELDS:
        raise InvalidDraft("Too many fields in the draft.")
    cleaned: dict[str, str | list[str]] = {}
    total = 0
    for name, value in data.items():
        if not isinstance(name, str) or not name or len(name) > 200:
            raise InvalidDraft("Field names must be short strings.")
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in values):
            raise InvalidDraft("Field values must be strings.")
        # No field of a plan form takes more than an answer does.
        if any(len(item) > MAX_MARKDOWN_CHARS for item in values):
            raise InvalidDraft(f"{too_long_message('Each answer')}.")
        total += sum(len(item) for item in values)
        cleaned[name] = value
    if total > MAX_DRAFT_CHARS:
        raise InvalidDraft("The draft is too long.")
    return cleaned


def _check_form_key(form_key: str) -> str:
    if not isinstance(form_key, str) or not form_key or len(form_key) > FORM_KEY_MAX_LENGTH:
        raise InvalidDraft("Give the form key of the form being edited.")
    return form_key


@transaction.atomic
def save_draft(*, user: User, plan: Plan, form_key: str, data: Any) -> UnsavedDraft:
    """Keep the user's latest unsaved values for one form of a plan they may edit."""
    require_edit(user=user, plan=plan)
    return _store(user=user, plan=plan, form_key=form_key, data=data)


@transaction.atomic
def keep_draft(*, user: User, plan: Plan, form_key: str, data: Any) -> UnsavedDraft:
    """Keep a draft for a form the caller has already checked the user may edit.

    For forms that belong to the plan but are edited under another rule: a monitoring return's
    parts (form key "return:<id>:<part>") are edited after the plan itself is closed to edits.
    """
    return _store(user=user, plan=plan, form_key=form_key, data=data)


def _store(*, user: User, plan: Plan, form_key: str, data: Any) -> UnsavedDraft:
    form_key = _check_form_key(form_key)
    cleaned = clean_draft_data(data)
    draft, _ = UnsavedDraft.objects.update_or_create(
        user=user, plan=plan, form_key=form_key, defaults={"data": cleaned}
    )
    return draft


def get_draft(*, user: User, plan: Plan, form_key: str) -> UnsavedDraft | None:
    """The user's own draft for this form, if any. Drafts are never shown to anyone else."""
    if not selectors.plans_for_user(user).filter(pk=plan.pk).exists():
        return None
    return UnsavedDraft.objects.filter(user=user, plan=plan, form_key=form_key).first()


@transaction.atomic
def discard_draft(*, user: User, plan: Plan, form_key: str) -> int:
    """Forget the user's draft for this form (after a save, or when they choose Discard).

    Safe to call when there is no draft; returns how many were deleted.
    """
    deleted, _ = UnsavedDraft.objects.filter(user=user, plan=plan, form_key=form_key).delete()
    return deleted
