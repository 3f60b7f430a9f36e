from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from strongroom.collection.models.common import ITEM_SPEC_FIELDS, ItemSpec
from strongroom.privacy.datamap import DataMap


class Template(models.Model):
    """A named checklist in sections. Without a workspace it is one Strongroom ships to everyone."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", null=True, blank=True, on_delete=models.CASCADE, related_name="templates"
    )
    slug = models.SlugField(max_length=60, blank=True)  # shipped templates only
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    default_due_days = models.PositiveSmallIntegerField(null=True, blank=True, default=14)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier", "workspace": "reference to the workspace",
            "slug": "code name", "name": "checklist name written by staff",
            "description": "checklist wording written by staff", "default_due_days": "setting",
            "created_by": "reference to a staff user", "created_at": "time", "updated_at": "time",
        }
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=models.Q(workspace=None), name="one_shipped_template_per_slug"
            )
        ]

    def __str__(self) -> str:
        return f"template {self.id}"


class TemplateSection(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveIntegerField(default=0)

    data_map = DataMap(
        not_personal={
            "id": "random identifier", "template": "reference", "title": "checklist wording",
            "position": "order",
        }
    )

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"template section {self.id}"


class TemplateItem(ItemSpec):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    section = models.ForeignKey(TemplateSection, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(max_length=60, blank=True)  # lets shipped templates name their conditions
    condition_item = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="dependants"
    )
    attachment = models.ForeignKey(
        "vault.Blob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    data_map = DataMap(
        not_personal={
            **ITEM_SPEC_FIELDS, "id": "random identifier", "section": "reference", "key": "code name",
            "condition_item": "reference", "attachment": "a form the workspace offers for download",
        }
    )

    def __str__(self) -> str:
        return f"template item {self.id}"
