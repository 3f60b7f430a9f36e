from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "strongroom.signin"
    label = "signin"

    def ready(self) -> None:
        from strongroom.signin import sessions

        sessions.connect()
