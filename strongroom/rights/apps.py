from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "strongroom.rights"
    label = "rights"

    def ready(self) -> None:
        from strongroom.rights import restriction

        restriction.connect()
