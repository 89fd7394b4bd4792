"""The API token pages (account/api-tokens/): list, create (the key shown once), revoke; and
GET /api/v1/me/, which says who a token belongs to and what it may do (no email address)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from accounts.permissions import allowed

from . import tokens
from .forms import NewTokenForm
from .models import ApiToken
from .permissions import regions_user_may_read


def _own_token(user, pk: int) -> ApiToken:
    """The user's own token; anyone else's is a 404, as if it did not exist."""
    token = get_object_or_404(ApiToken.objects.select_related("region"), pk=pk, user=user)
    if not allowed(user, "api.manage_token", token):
        raise PermissionDenied("You can only manage your own API tokens.")
    return token


@login_required
@require_http_methods(["GET"])
def token_list(request):
    return render(
        request,
        "api/token_list.html",
        {
            "tokens": ApiToken.objects.filter(user=request.user).select_related("region"),
            "may_hold_token": allowed(request.user, "api.hold_token"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_create(request):
    if not allowed(request.user, "api.hold_token"):
        raise PermissionDenied("You need a role in the portal to create an API token.")
    form = NewTokenForm(request.POST if request.method == "POST" else None, regions=regions_user_may_read(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, key = tokens.issue_token(
                user=request.user,
                name=data["name"],
                scope=data["scope"],
                region=data.get("region"),
                lifetime=datetime.timedelta(days=data["lifetime_days"]),
            )
        except ValidationError as error:
            form.add_error("region" if error.code == "region" else None, error)
        else:
            # The key is in this one response and nowhere else (not the session, not the database):
            # the page is sent no-store, so it cannot be paged back to either.
            return render(request, "api/token_created.html", {"token": token, "key": key})
    return render(request, "api/token_create.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request, api_token):
    token = _own_token(request.user, api_token)
    if request.method == "POST":
        tokens.revoke_token(token=token, by=request.user)
        messages.success(request, f"The token ‘{token.name}’ has been revoked. It no longer works.")
        return redirect("api:token_list")
    return render(request, "api/token_revoke.html", {"token": token})


_ROLES = inline_serializer(
    "MeRole",
    {
        "role": serializers.CharField(),
        "hwb_area": serializers.CharField(allow_null=True),
        "region": serializers.CharField(allow_null=True),
    },
    many=True,
)
_TOKEN = inline_serializer(
    "MeToken",
    {
        "name": serializers.CharField(),
        "prefix": serializers.CharField(),
        "scope": serializers.CharField(),
        "region": serializers.CharField(allow_null=True),
        "expires_at": serializers.DateTimeField(),
    },
)


@extend_schema(responses=inline_serializer("Me", {"roles": _ROLES, "token": _TOKEN}))
@api_view(["GET"])
def me(request):
    """The calling token and its user's roles: enough for a client to check its set-up."""
    token = request.auth
    memberships = request.user.memberships.select_related("hwb_area", "region").order_by("role", "pk")
    return Response(
        {
            "roles": [
                {
                    "role": m.role,
                    "hwb_area": m.hwb_area.ons_code if m.hwb_area else None,
                    "region": m.region.code if m.region else None,
                }
                for m in memberships
            ],
            "token": {
                "name": token.name,
                "prefix": token.prefix,
                "scope": token.scope,
                "region": token.region.code if token.region else None,
                "expires_at": token.expires_at,
            },
        }
    )
