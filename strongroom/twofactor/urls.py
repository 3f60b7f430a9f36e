from django.urls import path

from strongroom.twofactor import views

app_name = "twofactor"

urlpatterns = [
    path("two-factor/", views.manage, name="setup"),
    path("two-factor/app/", views.totp_enrol, name="totp_enrol"),
    path("two-factor/app/qr.svg", views.totp_qr, name="totp_qr"),
    path("two-factor/app/remove/", views.totp_remove, name="totp_remove"),
    path("two-factor/recovery-codes/", views.recovery_regenerate, name="recovery_regenerate"),
    path("two-factor/passkeys/options/", views.passkey_register_options, name="passkey_register_options"),
    path("two-factor/passkeys/", views.passkey_register, name="passkey_register"),
    path("two-factor/passkeys/<uuid:passkey_id>/remove/", views.passkey_remove, name="passkey_remove"),
    path("two-factor/verify/", views.verify, name="verify"),
    path("two-factor/verify/passkey/options/", views.passkey_sign_in_options, name="passkey_sign_in_options"),
    path("two-factor/verify/passkey/", views.passkey_sign_in, name="passkey_sign_in"),
]
