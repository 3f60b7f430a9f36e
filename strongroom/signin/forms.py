"""Forms of the sign-in pages: they validate input; `passwords` and `sessions` change state."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class NewPasswordFields(forms.Form):
    new_password = forms.CharField(
        label=_("New password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; not a common password, not only digits, not like your name "
                    "or e-mail."),
    )
    new_password2 = forms.CharField(
        label=_("The same password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password"), data.get("new_password2")
        if first and second and first != second:
            raise forms.ValidationError(_("The two passwords differ."))
        return data


class ChangePasswordForm(NewPasswordFields):
    current_password = forms.CharField(
        label=_("Current password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    field_order = ["current_password", "new_password", "new_password2"]


class ResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class ReauthWithCodeForm(ReauthForm):
    """For a user with a second factor: the password and a code, as at sign-in (or their passkey)."""

    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, app: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not app:
            self.fields["code"].label = _("One of your recovery codes")
            self.fields["code"].widget.attrs = {"autocomplete": "off"}
