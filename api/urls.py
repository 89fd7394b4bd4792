"""The national data API (/api/v1/) and the pages where users manage their API tokens."""

from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    # The account pages where a user manages their own tokens.
    path("account/api-tokens/", views.token_list, name="token_list"),
    path("account/api-tokens/new/", views.token_create, name="token_create"),
    path("account/api-tokens/<int:api_token>/revoke/", views.token_revoke, name="token_revoke"),
    # The API (token authentication only; see api.authentication).
    path("api/v1/me/", views.me, name="me"),
]
