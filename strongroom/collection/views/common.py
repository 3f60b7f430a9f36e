"""What the staff views share."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def errors_into(form: forms.Form, exc: ValidationError) -> None:
    """Put an action's ValidationError on the form: on its fields where it names them."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = {"max_file_size": "max_file_size_mb"}.get(field, field)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
