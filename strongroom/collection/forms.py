from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from strongroom.accounts.models import Language
from strongroom.collection.models.common import FileKind, ItemKind, QuestionType
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


class TemplateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    default_due_days = forms.IntegerField(
        label=gettext_lazy("Days to reply"), min_value=1, max_value=365, required=False
    )


class ItemForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ItemKind.choices)
    label = forms.CharField(label=gettext_lazy("Label"), max_length=300)
    instructions = forms.CharField(
        label=gettext_lazy("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False, initial=True)
    question_type = forms.ChoiceField(
        label=gettext_lazy("Answer"), required=False, choices=[("", "—"), *QuestionType.choices]
    )
    choices = forms.CharField(
        label=gettext_lazy("Choices (one per line)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    accepted_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Accepted files"),
        required=False,
        choices=FileKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    max_file_size_mb = forms.IntegerField(
        label=gettext_lazy("Largest file (MB)"), min_value=1, max_value=1024, initial=100
    )
    max_files = forms.IntegerField(label=gettext_lazy("Most files"), min_value=1, max_value=50, initial=10)
    category = forms.ChoiceField(label=gettext_lazy("Kind of personal data it collects"), required=False)
    condition_item = forms.ChoiceField(label=gettext_lazy("Only show when the answer to"), required=False)
    condition_value = forms.CharField(label=gettext_lazy("is"), required=False)

    def __init__(self, *args: Any, questions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = {str(q.pk): q for q in questions}
        from strongroom.collection.template_editing import ITEM_CATEGORY_CHOICES

        self.fields["category"].choices = [("", "—"), *ITEM_CATEGORY_CHOICES.items()]  # type: ignore[attr-defined]
        self.fields["condition_item"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(key, q.label) for key, q in self.questions.items()],
        ]

    @staticmethod
    def initial_for(item: Any) -> dict[str, Any]:
        """The form's starting values for an existing item (template or request), or a new one."""
        if item is None:
            return {"required": True}
        return {
            "kind": item.kind,
            "label": item.label,
            "instructions": item.instructions,
            "required": item.required,
            "question_type": item.question_type,
            "choices": "\n".join(item.choices),
            "accepted_kinds": item.accepted_kinds,
            "max_file_size_mb": max(1, item.max_file_size // 2**20),
            "max_files": item.max_files,
            "condition_item": str(item.condition_item_id or ""),
            "condition_value": "" if item.condition_value is None else item.condition_value,
            "category": item.category,
        }

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "label": data["label"],
            "instructions": data["instructions"],
            "required": data["required"],
            "question_type": data["question_type"],
            "choices": data["choices"].splitlines(),
            "accepted_kinds": data["accepted_kinds"],
            "max_file_size": data["max_file_size_mb"] * 1024 * 1024,
            "max_files": data["max_files"],
            "condition_item": self.questions.get(data["condition_item"] or ""),
            "condition_value": data["condition_value"] or None,
            "category": data["category"],
        }


class RequestDetailsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    message = forms.CharField(
        label=_("Covering message"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    remind_days_before = forms.IntegerField(
        label=_("Remind this many days before the due date"), required=False, min_value=1, max_value=60
    )
    remind_on_due_date = forms.BooleanField(label=_("Remind on the due date"), required=False)
    remind_every_days_after = forms.IntegerField(
        label=_("Then every this many days"), required=False, min_value=1, max_value=60
    )
    remind_max_after = forms.IntegerField(
        label=_("At most this many reminders after the due date"), min_value=0, max_value=20
    )
