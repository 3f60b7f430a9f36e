"""Forms of the rights pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from strongroom.rights.models import Channel, LawfulUse, RightKind

STAFF_CHANNELS = [c for c in Channel.choices if c[0] != Channel.PORTAL]


class LogRequestForm(forms.Form):
    client = forms.ChoiceField(label=_("Client"))
    kind = forms.ChoiceField(label=_("Right exercised"), choices=RightKind.choices)
    channel = forms.ChoiceField(label=_("How it arrived"), choices=STAFF_CHANNELS)
    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
    details = forms.CharField(
        label=_("What the person asked"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(self, *args: Any, clients: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = clients  # type: ignore[attr-defined]


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason the person will be told"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Extend by"), coerce=int, choices=[(1, _("one month")), (2, _("two months"))]
    )
    reason = forms.CharField(
        label=_("Reason the person will be told"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class PortalRightsForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you ask for?"),
        choices=[c for c in RightKind.choices if c[0] != RightKind.RECTIFICATION],
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label=_("Anything to add (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class HoldForm(forms.Form):
    ground = forms.CharField(label=_("Legal ground for keeping these records"), max_length=300)
    until = forms.DateField(
        label=_("Keep until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class LawfulUseForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Lawful use (GDPR Art. 18(2))"), choices=LawfulUse.choices)
    reason = forms.CharField(
        label=_("Why it is needed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
