"""Blind indexes: exact-match lookup of encrypted values without decrypting anything.

The index is HMAC-SHA256 of the normalised value, keyed by a key derived from the keyring (workspace)
key for one model field: the same e-mail in two workspaces, or in two fields, gives unrelated indexes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db import models

from strongroom.crypto import keys, primitives
from strongroom.privacy.datamap import subject_of


def normalise_text(value: str) -> str:
    """NFKC, case-folded, runs of spaces made one: 'Ann  Lee ' and 'ann lee' match."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def blind_index(keyring_id: UUID, model_label: str, field_name: str, value: str,
                normalise: Callable[[str], str] = normalise_text) -> str:
    purpose = f"strongroom:blind-index:{model_label.lower()}.{field_name}"
    key = primitives.derive_key(keys.keyring_key(keyring_id), purpose)
    return primitives.hmac_sha256(key, normalise(value).encode("utf-8")).hex()


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """Kept in step with the encrypted field `source` on every save."""

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("null", True)
        super().__init__(*args, **kwargs)
        self.source = source

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def index_for(self, keyring_id: UUID, value: str) -> str:
        return blind_index(keyring_id, self.model._meta.label, self.source, value)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = getattr(model_instance, self.source)
        if value is None:
            digest = None
        else:
            subject = subject_of(model_instance)
            digest = self.index_for(subject.keyring_id, value)
        setattr(model_instance, self.attname, digest)
        return digest


def lookup(model: type[models.Model], field_name: str, keyring_id: UUID, value: str) -> str:
    """The index value to filter `model` on, for `value` of the encrypted field `field_name`."""
    for model_field in model._meta.concrete_fields:
        if isinstance(model_field, BlindIndexField) and model_field.source == field_name:
            return model_field.index_for(keyring_id, value)
    raise LookupError(f"{model._meta.label}.{field_name} has no blind index")
