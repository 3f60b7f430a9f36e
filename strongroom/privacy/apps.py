from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "strongroom.privacy"
    label = "privacy"

    def ready(self) -> None:
        from strongroom.privacy import thirdparty

        thirdparty.declare_all()
