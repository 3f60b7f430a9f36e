from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "strongroom.audit"
    label = "audit"
