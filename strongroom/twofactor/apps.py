from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "strongroom.twofactor"
    label = "twofactor"
