"""Template context every page needs: the service name and phase."""

from django.conf import settings


def service(request):
    return {"service_name": settings.SERVICE_NAME, "phase": settings.PHASE}
