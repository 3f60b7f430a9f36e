from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "strongroom.crypto"
    label = "crypto"
    default_auto_field = "django.db.models.BigAutoField"
