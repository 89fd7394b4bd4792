"""Small JSON endpoints the editing pages call from the browser: autosave and Markdown preview.

Both fetch the plan through the scoped getter (404 outside the user's areas) and are
CSRF-protected like any other POST; the scripts send the form's CSRF token in a header.
"""

import json
from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import drafts, selectors
from .markdown import check_markdown


def signed_in_json(view):
    """Like login_required, but answers 401 JSON: a script cannot follow a redirect to sign in.

    The autosave script treats 401 as "session expired" and keeps the typing in localStorage.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "Sign in again to save your changes."}, status=401)
        return view(request, *args, **kwargs)

    return wrapper


# Matches drafts.MAX_DRAFT_CHARS with room for JSON quoting.
MAX_BODY_BYTES = 1_000_000
BROKEN_CHARACTER = "Your text has a broken character in it, such as half of an emoji. Delete it and try again."


class BrokenCharacter(Exception):
    """The JSON held a lone surrogate (say "\\ud800"): valid JSON, but not text that can be stored or shown."""


def _loads(raw: str | bytes):
    body = json.loads(raw)
    try:
        # Encoding the whole body finds a lone surrogate wherever it is, in a name or a value.
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise BrokenCharacter(BROKEN_CHARACTER) from None
    return body


def _json_body(request: HttpRequest) -> dict | None:
    """The posted JSON object; None if it is not one. Raises BrokenCharacter for a lone surrogate."""
    if len(request.body) > MAX_BODY_BYTES:
        return None
    try:
        body = _loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


# navigator.sendBeacon, used as the page closes, cannot set headers, so it posts form data
# with the CSRF token as a field and the draft as a JSON string.
FORM_CONTENT_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}


def _form_body(request: HttpRequest) -> dict | None:
    body: dict = {"form_key": request.POST.get("form_key", ""), "discard": bool(request.POST.get("discard"))}
    if not body["discard"]:
        try:
            body["data"] = _loads(request.POST.get("data", ""))
        except ValueError:
            return None
    return body


@never_cache
@signed_in_json
@require_http_methods(["GET", "POST", "DELETE"])
def autosave(request: HttpRequest, round_slug: str, ons_code: str) -> JsonResponse:
    """GET ?form_key= returns the user's draft; POST {form_key, data} keeps it; DELETE drops it."""
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    if request.method == "GET":
        draft = drafts.get_draft(user=request.user, plan=plan, form_key=request.GET.get("form_key", ""))
        if draft is None:
            return JsonResponse({"draft": None})
        return JsonResponse({"draft": {"data": draft.data, "updated_at": draft.updated_at.isoformat()}})

    try:
        body = _form_body(request) if request.content_type in FORM_CONTENT_TYPES else _json_body(request)
    except BrokenCharacter as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if body is None:
        return JsonResponse({"error": "Send the draft as a JSON object."}, status=400)
    form_key = body.get("form_key", "")
    if request.method == "DELETE" or body.get("discard"):
        drafts.discard_draft(user=request.user, plan=plan, form_key=form_key)
        return JsonResponse({"discarded": True})
    try:
        draft = drafts.save_draft(user=request.user, plan=plan, form_key=form_key, data=body.get("data"))
    except PermissionDenied:
        return JsonResponse({"error": "You cannot change this plan."}, status=403)
    except drafts.InvalidDraft as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"saved": True, "updated_at": draft.updated_at.isoformat()})


@never_cache
@signed_in_json
@require_POST
def markdown_preview(request: HttpRequest, round_slug: str, ons_code: str) -> JsonResponse:
    """Render the posted Markdown exactly as the saved answer will be shown (sanitised).

    Text the answer could not be saved as (too long, nested too deeply) is refused with the
    message the form would give, so the preview never costs more than a saved answer.
    """
    selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    if request.content_type == "application/json":
        try:
            body = _json_body(request)
        except BrokenCharacter as exc:
            return JsonResponse({"error": str(exc)}, status=400)
        if body is None:
            return JsonResponse({"error": "Send the text to preview."}, status=400)
        text = body.get("text", "")
    else:
        text = request.POST.get("text", "")
    if not isinstance(text, str):
        return JsonResponse({"error": "Send the text to preview."}, status=400)
    try:
        html = check_markdown(text, subject="The text")
    except ValidationError as exc:
        return JsonResponse({"error": exc.messages[0]}, status=400)
    return JsonResponse({"html": str(html)})
