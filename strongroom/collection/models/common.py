"""What every model of the collection shares: purposes, retention, and the item specification."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from strongroom.privacy.datamap import Purpose, Retention

CLIENT_SERVICE = Purpose(
    "client-service", "Requesting, collecting and reviewing documents and information from clients"
)
CLIENT_RETENTION = Retention(
    "the workspace's retention period after the client's last request closes",
    counted_from="closure of the client's last request",
)


class ItemKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    QUESTION = "question", _("Question")


class QuestionType(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    DATE = "date", _("Date")
    NUMBER = "number", _("Number")
    EMAIL = "email", _("E-mail address")
    PHONE = "phone", _("Telephone number")
    SINGLE_CHOICE = "single_choice", _("One choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Several choices")
    YES_NO = "yes_no", _("Yes or no")


class FileKind(models.TextChoices):
    PDF = "pdf", _("PDF")
    IMAGE = "image", _("Image (JPEG, PNG, HEIC)")
    OFFICE = "office", _("Office document (Word, Excel, OpenDocument)")
    TEXT = "text", _("Text or CSV")
    ANY = "any", _("Any file")


DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024
DEFAULT_MAX_FILES = 10

ITEM_SPEC_FIELDS = {
    "kind": "kind of item",
    "question_type": "kind of question",
    "label": "checklist wording written by staff",
    "instructions": "checklist wording written by staff",
    "required": "setting",
    "accepted_kinds": "setting",
    "max_file_size": "setting",
    "max_files": "setting",
    "choices": "checklist wording written by staff",
    "category": "the kind of personal data the item collects (a data map category code)",
    "condition_value": "checklist wording written by staff",
    "position": "order",
}


class ItemSpec(models.Model):
    """What an item asks for: shared by template items and the request items copied from them."""

    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    question_type = models.CharField(max_length=20, choices=QuestionType.choices, blank=True)
    label = models.CharField(_("label"), max_length=300)
    instructions = models.TextField(_("instructions"), blank=True)
    required = models.BooleanField(_("required"), default=True)
    accepted_kinds = models.JSONField(default=list, blank=True)  # FileKind values; empty = any
    max_file_size = models.PositiveBigIntegerField(default=DEFAULT_MAX_FILE_SIZE)
    max_files = models.PositiveSmallIntegerField(default=DEFAULT_MAX_FILES)
    choices = models.JSONField(default=list, blank=True)  # for single and multiple choice
    # Shown only when the answer to `condition_item` equals `condition_value`.
    condition_value = models.JSONField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    # What kind of personal data the item collects: feeds the record of processing and the DPIA flag.
    category = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True
        ordering = ["position"]
