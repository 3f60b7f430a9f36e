from django.apps import AppConfig


class OperatorConfig(AppConfig):
    name = "strongroom.operator"
    label = "operator"
