"""The security audit log: who signed in (or failed to), who was locked out or refused, and who
signed, submitted, decided or downloaded. National admins read it at /audit/ (accounts.views).

Sign-in events come from Django's and django-axes' signals; refusals from the middleware below
(every 403, whether a view raised PermissionDenied or CSRF refused a form, and every plan asked for
outside the user's reach); workflow events are passed to `record_workflow_event` by governance,
which owns them (accounts sits below every app that has plans).
"""

from __future__ import annotations

import logging
import time

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.http import Http404
from django.utils.cache import add_never_cache_headers

from .models import SecurityEvent, User

logger = logging.getLogger("bcf_portal.security")
Action = SecurityEvent.Action

# governance.PlanEvent actions that belong in the security log, and what they are called here.
WORKFLOW_ACTIONS = {
    "signed": Action.SIGNED,
    "submit": Action.SUBMITTED,
    "decide": Action.DECISION,
    "return_for_changes": Action.DECISION,
    "transition_refused": Action.TRANSITION_REFUSED,
}


def client_ip(request) -> str | None:
    """The client's address (settings.TRUSTED_PROXY_COUNT explains which); django-axes uses it too."""
    meta = getattr(request, "META", None) or {}
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return meta.get("REMOTE_ADDR") or None


def sign_in_username(request, credentials: dict | None = None) -> str | None:
    """The email django-axes counts failures against, normalised as accounts are (User.normalize_username).

    Without this, each spelling of one address ("Amy@x", "AMY@x", " amy@x") had its own count, so
    a guesser could try five passwords per spelling without ever being locked out.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    raw = credentials.get(field) if credentials else getattr(request, "POST", {}).get(field)
    return User.normalize_username(raw) if isinstance(raw, str) else raw


def _ip(request) -> str | None:
    return client_ip(request) if request is not None else None


def record(
    action: str,
    *,
    request=None,
    user=None,
    username: str = "",
    plan=None,
    hwb_area_id: int | None = None,
    detail: dict | None = None,
) -> SecurityEvent:
    """Append one event. Never raises: a failure to audit must not turn into a failed request.

    `plan` is any object with `pk` and `hwb_area_id` (a plans.Plan): the event keeps both ids.
    """
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if not username and user is not None:
        username = user.get_username()
    try:
        # In a savepoint, so a failed insert cannot spoil the transaction of the request it records.
        with transaction.atomic():
            event = SecurityEvent.objects.create(
                action=action,
                user=user,
                username=(username or "")[:254],
                ip_address=_ip(request),
                path=(request.path[:500] if request is not None and hasattr(request, "path") else ""),
                plan_id=plan.pk if plan is not None else None,
                hwb_area_id=plan.hwb_area_id if plan is not None else hwb_area_id,
                detail=detail or {},
            )
    except Exception:
        logger.exception("Could not record security event %s", action)
        return None
    logger.info("security event %s user=%s ip=%s path=%s", action, username, event.ip_address, event.path)
    return event


@receiver(user_logged_in, dispatch_uid="security_signed_in")
def _signed_in(sender, request, user, **kwargs):
    record(Action.SIGNED_IN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="security_signed_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(Action.SIGNED_OUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="security_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`; only the username is kept.
    record(
        Action.SIGN_IN_FAILED, request=request, username=User.normalize_username(str(credentials.get("username", "")))
    )


@receiver(user_locked_out, dispatch_uid="security_locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    record(Action.LOCKED_OUT, request=request, username=username or "", detail={"ip_address": ip_address})


def record_workflow_event(event) -> None:
    """Copy a workflow event that belongs in the security log (governance.PlanEvent: signed, submitted, decided).

    Called by governance for each new PlanEvent; other actions are not security events.
    """
    action = WORKFLOW_ACTIONS.get(event.action)
    if action is None:
        return
    record(
        action,
        user=event.actor,
        plan=event.plan,
        detail={
            "workflow_action": event.action,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "comment": (event.comment or "")[:500],
        },
    )


class RefusedAsNotFound(Http404):
    """A 404 that hides a refusal: the object asked for exists but is outside the user's reach.

    Raised by the app that owns the object (plans.selectors.PlanOutOfReach), which says what was
    refused through `audit_subject`; the middleware below records it as a refusal.
    """

    def audit_subject(self):
        """The refused object (with `pk` and `hwb_area_id`), or None if it does not exist after all."""
        return None


class PermissionDeniedAuditMiddleware:
    """Records every 403 the portal sends: a view's PermissionDenied, a rule refusal or a CSRF failure."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # An API call's 403 is already in the log as that call (api.audit): one event per request.
        if response.status_code == 403 and not getattr(request, "security_event_recorded", False):
            record(
                Action.PERMISSION_DENIED,
                request=request,
                detail={"method": request.method, "reason": getattr(request, "_security_reason", "")},
            )
        return response

    def process_exception(self, request, exception):
        # Keep the refusal's own words for the log; Django still renders the 403 page.
        from django.core.exceptions import PermissionDenied

        if isinstance(exception, PermissionDenied):
            request._security_reason = str(exception)[:500]
        elif isinstance(exception, RefusedAsNotFound):
            # A signed-in user asked for a plan that exists but is not theirs: they get the same 404
            # as for a plan that does not exist, and the log gets a refusal.
            user = getattr(request, "user", None)
            subject = exception.audit_subject() if user is not None and user.is_authenticated else None
            if subject is not None:
                record(
                    Action.PERMISSION_DENIED,
                    request=request,
                    plan=subject,
                    detail={"method": request.method, "reason": "plan outside the user's areas (answered 404)"},
                )
        return None


# --- Reading the log (the national admin's /audit/ page) -------------------------------------


def audit_events(*, action: str = "", user: str = "", area: str = "", date_from=None, date_to=None):
    """Security events, newest first, filtered; one query per page (users and areas joined in)."""
    events = SecurityEvent.objects.select_related("user", "hwb_area")
    if action:
        events = events.filter(action=action)
    if user:
        events = events.filter(Q(username__icontains=user) | Q(user__email__icontains=user))
    if area:
        events = events.filter(Q(hwb_area__ons_code__iexact=area) | Q(hwb_area__name__icontains=area))
    if date_from:
        events = events.filter(created_at__date__gte=date_from)
    if date_to:
        events = events.filter(created_at__date__lte=date_to)
    return events.order_by("-created_at", "-pk")


# --- Idle timeout ------------------------------------------------------------------------------

RENEWED_KEY = "_idle_renewed_at"
RENEW_EVERY_SECONDS = 300


class SessionIdleRenewalMiddleware:
    """Sessions end after SESSION_COOKIE_AGE of inactivity: each request pushes the expiry back.

    Unlike SESSION_SAVE_EVERY_REQUEST, the session is written at most every RENEW_EVERY_SECONDS,
    so a signed-in page costs no extra database write (and the timeout is exact to 5 minutes).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        # Only a signed-in session is renewed: an API call authenticated by a token has none, and
        # must not start one (a nightly pull would otherwise write a session row per request).
        if session is not None and session.session_key and user is not None and user.is_authenticated:
            now = int(time.time())
            if now - int(session.get(RENEWED_KEY, 0)) >= RENEW_EVERY_SECONDS:
                session[RENEWED_KEY] = now  # marks the session modified: saved with a fresh expiry
        return response


@receiver(user_logged_in, dispatch_uid="security_idle_clock")
def _start_idle_clock(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[RENEWED_KEY] = int(time.time())


class SignedInNoStoreMiddleware:
    """Every page and download a signed-in user gets is sent `Cache-Control: private, no-store`.

    They show plan content (drafts included): no shared cache may keep them, and neither may the
    browser, where the next person at a shared computer could page back to them after sign-out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # The session too: a DRF view (the API's schema and docs pages) authenticates by token only and
        # leaves request.user anonymous, yet the page went to a signed-in browser.
        session = getattr(request, "session", None)
        if (user is not None and user.is_authenticated) or (session is not None and SESSION_KEY in session):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response
