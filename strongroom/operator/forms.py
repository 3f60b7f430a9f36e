from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from strongroom.operator.models import MAX_HOURS, MIN_HOURS, REASON_MAX_LENGTH


class SupportRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("The support ticket and what needs looking at. Name nobody: the owners read this."),
    )
    hours = forms.IntegerField(label=_("Hours"), min_value=MIN_HOURS, max_value=MAX_HOURS, initial=4)


class ApproveForm(forms.Form):
    hours = forms.IntegerField(label=_("Hours"), min_value=MIN_HOURS, max_value=MAX_HOURS)
