"""Forgotten and changed passwords, one's sessions, and re-authentication."""

from django.urls import path

from strongroom.signin import views

app_name = "signin"

urlpatterns = [
    path("password/forgot/", views.password_reset, name="password_reset"),
    path(
        "password/reset/<str:uidb64>/<str:token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("account/password/", views.password_change, name="password_change"),
    path("account/sessions/", views.session_list, name="sessions"),
    path("account/sessions/<uuid:session_id>/revoke/", views.session_revoke, name="session_revoke"),
    path("account/sessions/revoke-others/", views.session_revoke_others, name="session_revoke_others"),
    path("account/confirm/", views.reauthenticate, name="reauth"),
    path("account/confirm/passkey/options/", views.reauth_passkey_options, name="reauth_passkey_options"),
    path("account/confirm/passkey/", views.reauth_passkey, name="reauth_passkey"),
]
