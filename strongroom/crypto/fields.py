"""Encrypted model fields: personal data sealed under the subject's key with AES-256-GCM.

Declaring a field with one of these classes is what makes it personal in the data map: each takes
the data category (and may override the model's purpose, legal basis and retention). The stored
value is `primitives.seal` output bound to (model, field, row id, subject), so a ciphertext copied
to another row, field or subject fails to open. Values are opened lazily, on first attribute access,
because opening needs the row's id and subject, which `from_db_value` does not see.

Models using them MUST have a primary key set before saving (a UUID default) and a data map naming
the subject. Encrypted fields cannot be filtered on; use a blind index for exact-match lookups.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django import forms
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from strongroom.crypto import keys, primitives
from strongroom.privacy.datamap import LegalBasis, Personal, Purpose, Retention, subject_of


class Sealed:
    """Ciphertext read from the database and not opened yet."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __repr__(self) -> str:
        return "<sealed>"


class EncryptedAttribute(DeferredAttribute):
    """Opens the sealed value on first access; a data descriptor, so every access passes here."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            field: EncryptedField = self.field  # type: ignore[assignment]
            value = field.open(instance, value.data)
            instance.__dict__[field.attname] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


def field_aad(field: models.Field[Any, Any], instance: Any, subject_id: object) -> bytes:
    label = field.model._meta.label_lower
    return f"strongroom:field:{label}:{field.name}:{instance.pk}:{subject_id}".encode()


class EncryptedField(models.BinaryField):  # type: ignore[type-arg]
    descriptor_class = EncryptedAttribute
    declaration_kwargs = ("category", "purpose", "legal_basis", "retention")

    def __init__(
        self,
        *args: Any,
        category: str | None = None,
        purpose: Purpose | None = None,
        legal_basis: LegalBasis | None = None,
        retention: Retention | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("editable", True)
        super().__init__(*args, **kwargs)
        self.personal = (
            Personal(category, purpose, legal_basis, retention) if category is not None else None
        )

    def _check_str_default_value(self) -> list[Any]:
        # Defaults are plaintext values (sealed on save), so a str default is right here.
        return []

    def deconstruct(self) -> Any:
        # The declaration is documentation for the data map, not schema: keep it out of migrations.
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    # Converting between Python values and plaintext bytes; subclasses define these two.
    def encode(self, value: Any) -> bytes:
        raise TypeError(f"{type(self).__name__} cannot encode values")

    def decode(self, data: bytes) -> Any:
        raise TypeError(f"{type(self).__name__} cannot decode values")

    def _subject_and_key(self, instance: Any) -> tuple[Any, bytes]:
        subject = subject_of(instance)
        if subject is None:
            raise ValueError(
                f"{self.model._meta.label}.{self.name} holds personal data but the row has no subject"
            )
        return subject, keys.subject_key(subject)

    def open(self, instance: Any, data: bytes) -> Any:
        subject, key = self._subject_and_key(instance)
        return self.decode(primitives.unseal(key, data, field_aad(self, instance, subject.pk)))

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, Sealed):
            return value.data if isinstance(value, Sealed) else None
        if model_instance.pk is None:
            raise ValueError(
                f"{self.model._meta.label} needs its primary key before saving encrypted fields"
            )
        subject, key = self._subject_and_key(model_instance)
        return primitives.seal(key, self.encode(value), field_aad(self, model_instance, subject.pk))

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        # Only `pre_save` output (ciphertext) may reach the database. A plain value here means a
        # path that skips `pre_save`, such as QuerySet.update(): refuse rather than store plaintext.
        if value is not None and not isinstance(value, bytes | Sealed):
            raise TypeError(
                f"{self.model._meta.label}.{self.name} is encrypted: set it on the instance and save(); "
                "QuerySet.update() would store it unsealed"
            )
        if isinstance(value, Sealed):
            value = value.data
        return super().get_db_prep_save(value, connection)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        return None if value is None else Sealed(bytes(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise TypeError(
                f"{self.model._meta.label}.{self.name} is encrypted and cannot be searched "
                f"with '{lookup_name}'; look it up through its blind index"
            )
        return super().get_lookup(lookup_name)

    def value_to_string(self, obj: Any) -> str:
        return str(self.value_from_object(obj))


class EncryptedTextField(EncryptedField):
    def encode(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def decode(self, data: bytes) -> str:
        return data.decode("utf-8")

    def formfield(self, **kwargs: Any) -> Any:
        return forms.CharField(required=not self.blank, **kwargs)


class EncryptedJSONField(EncryptedField):
    def encode(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")

    def decode(self, data: bytes) -> Any:
        return json.loads(data)

    def formfield(self, **kwargs: Any) -> Any:
        return forms.JSONField(required=not self.blank, **kwargs)


class EncryptedDateField(EncryptedField):
    def encode(self, value: Any) -> bytes:
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise TypeError(f"{self.name or 'this field'} takes a date, not {value!r}")
        return value.isoformat().encode("ascii")

    def decode(self, data: bytes) -> datetime.date:
        return datetime.date.fromisoformat(data.decode("ascii"))

    def formfield(self, **kwargs: Any) -> Any:
        return forms.DateField(required=not self.blank, **kwargs)
