from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "strongroom.portal"
    label = "portal"
