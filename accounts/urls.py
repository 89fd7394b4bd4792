"""Signing in and out (Django's own views), passwords, teams and invitations, and the security audit log."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import TemplateView

from . import people_views, views

urlpatterns = [
    path("sign-in/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("audit/", views.audit_log, name="audit_log"),
    # Forgot your password?
    path("password-reset/", people_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        TemplateView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<str:uidb64>/<str:token>/",
        people_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        TemplateView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    # A person's own account.
    path("account/", people_views.account, name="account"),
    path("account/password/", people_views.PasswordChangeView.as_view(), name="password_change"),
    # Teams and invitations.
    path("areas/<str:ons_code>/team/", people_views.team, name="team"),
    path("areas/<str:ons_code>/team/invite/", people_views.invite, name="invite"),
    path("assurers/invite/", people_views.invite_assurer, name="invite_assurer"),
    path("invitations/<int:invitation>/resend/", people_views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:invitation>/withdraw/", people_views.invitation_revoke, name="invitation_revoke"),
    path("memberships/<int:membership>/end/", people_views.membership_end, name="membership_end"),
    path("invitation/<str:token>/", people_views.accept_invitation, name="accept_invitation"),
]
