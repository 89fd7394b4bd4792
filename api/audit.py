"""Every call to the API (/api/) goes in the security audit log: one SecurityEvent per call, whatever
its answer (200, 401, 404, 429…), with the token's prefix, the method, the path and the status."""

from accounts import security
from accounts.models import SecurityEvent

API_PATH_PREFIX = "/api/"


class ApiCallAuditMiddleware:
    """After each /api/ request, one insert. Placed after accounts.security.PermissionDeniedAuditMiddleware
    in settings.MIDDLEWARE, so a 403 from the API is recorded here once, not also as a page refusal."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(API_PATH_PREFIX):
            # request.user is the token's user, which DRF sets (or AnonymousUser after a 401).
            security.record(
                SecurityEvent.Action.API_CALL,
                request=request,
                detail={
                    "token": getattr(request, "api_token_prefix", ""),
                    "method": request.method,
                    "path": request.get_full_path()[:500],
                    "status": response.status_code,
                },
            )
            request.security_event_recorded = True
        return response
