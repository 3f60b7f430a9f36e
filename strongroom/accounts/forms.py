"""Forms of the workspace administration pages. They validate input; actions change state."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator, URLValidator
from django.utils.translation import gettext_lazy as _

from strongroom.accounts.invitations import LOGO_MAX_SIZE, LOGO_TYPES, logo_dimensions_problem
from strongroom.accounts.models import Language, Role, Workspace

MAX_DAYS = 365

# Fields of WorkspaceSettingsForm that are workspace settings as they are (the logo is handled apart).
SETTINGS_FIELDS = (
    "name", "accent_colour", "privacy_policy_url", "dpo_contact", "default_language",
    "remind_days_before", "remind_on_due_date", "remind_every_days_after", "remind_max_after",
    "require_client_code", "link_days_after_close", "require_two_factor",
)


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=200)
    accent_colour = forms.CharField(
        label=_("Accent colour"),
        max_length=7,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}\Z",
                                   _("Enter a colour as #rrggbb, for example #1f4e79."))],
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("Used on the client portal."),
    )
    privacy_policy_url = forms.URLField(
        label=_("Privacy policy URL"),
        required=False,
        max_length=200,
        validators=[URLValidator(schemes=["https", "http"])],
        help_text=_("The address of your published privacy policy, starting with https://."),
    )
    dpo_contact = forms.CharField(
        label=_("Data protection officer contact"),
        max_length=200,
        required=False,
        help_text=_("An e-mail address or postal address clients can write to."),
    )
    controller_contact = forms.CharField(
        label=_("Your organisation's legal name and address"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("As the controller of your clients' data: it heads your record of processing."),
    )
    default_language = forms.ChoiceField(label=_("Default language"), choices=Language.choices)
    remind_days_before = forms.IntegerField(
        label=_("Remind clients this many days before the due date"),
        required=False, min_value=1, max_value=MAX_DAYS,
        help_text=_("Leave empty for no reminder before the due date."),
    )
    remind_on_due_date = forms.BooleanField(label=_("Remind clients on the due date"), required=False)
    remind_every_days_after = forms.IntegerField(
        label=_("After the due date, remind every this many days"),
        required=False, min_value=1, max_value=MAX_DAYS,
        help_text=_("Leave empty for no reminders after the due date."),
    )
    remind_max_after = forms.IntegerField(
        label=_("At most this many reminders after the due date"), min_value=0, max_value=50
    )
    require_client_code = forms.BooleanField(
        label=_("E-mail clients a one-time code each time they open their link"), required=False
    )
    require_two_factor = forms.BooleanField(
        label=_("Require two-factor sign-in for every member"), required=False,
        help_text=_(
            "Members without an authenticator app or a passkey must set one up before anything else."
        ),
    )
    link_days_after_close = forms.IntegerField(
        label=_("Links keep working this many days after a request closes"), min_value=0, max_value=3650
    )
    logo = forms.FileField(
        label=_("Logo"), required=False, help_text=_("A PNG or JPEG image of at most 1 MB.")
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    @classmethod
    def initial_from(cls, workspace: Workspace) -> dict[str, Any]:
        return {name: getattr(workspace, name) for name in SETTINGS_FIELDS}

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError(_("A workspace needs a name."))
        return name

    def clean_accent_colour(self) -> str:
        return str(self.cleaned_data["accent_colour"]).lower()

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if not logo:
            return None
        # The sealing upload handler decided the type from the bytes, not from the name.
        if getattr(logo, "content_type", None) not in LOGO_TYPES or not hasattr(logo, "finish"):
            raise forms.ValidationError(_("The logo must be a PNG or JPEG image."))
        if logo.size > LOGO_MAX_SIZE:
            raise forms.ValidationError(_("The logo must be 1 MB or smaller."))
        if problem := logo_dimensions_problem(logo):
            raise forms.ValidationError(problem)
        return logo

    def changes(self) -> dict[str, Any]:
        """What to pass to `do_update_workspace_settings` (the logo only when it changes)."""
        data = self.cleaned_data
        found = {name: data[name] for name in SETTINGS_FIELDS}
        if data.get("logo"):
            found["logo"] = data["logo"]
        elif data.get("remove_logo"):
            found["logo"] = None
        return found


def role_choices(can_grant_owner: bool) -> list[tuple[str, str]]:
    """Roles an actor may hand out: admins never grant the owner role."""
    return [(value, str(label)) for value, label in Role.choices if can_grant_owner or value != Role.OWNER]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, can_grant_owner: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = role_choices(can_grant_owner)
        role.initial = Role.MEMBER


class AcceptInvitationForm(forms.Form):
    password = forms.CharField(
        label=_("Choose a password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters."),
    )
    password2 = forms.CharField(
        label=_("The same password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            raise forms.ValidationError(_("The two passwords differ."))
        return data
