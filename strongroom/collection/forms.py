from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from strongroom.accounts.models import Language
from strongroom.collection.models.requests import RequestState


class ClientForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Telephone"), max_length=40, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RequestForm(forms.Form):
    client = forms.ChoiceField(label=_("Client"))
    template = forms.ChoiceField(label=_("Checklist"), required=False)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the checklist's name."),
    )
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    message = forms.CharField(
        label=_("Covering message"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(
        self, *args: Any, clients: list[tuple[str, str]], templates: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = clients  # type: ignore[attr-defined]
        self.fields["template"].choices = [("", _("(empty checklist)")), *templates]  # type: ignore[attr-defined]


class DashboardFilter(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any")), ("overdue", _("Overdue")), *RequestState.choices],
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    due_before = forms.DateField(
        label=_("Due before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    client = forms.CharField(label=_("Client e-mail or full name"), required=False)

    def __init__(self, *args: Any, owners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Anyone")), *owners]  # type: ignore[attr-defined]
