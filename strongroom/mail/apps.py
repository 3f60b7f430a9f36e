from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "strongroom.mail"
    label = "mail"
