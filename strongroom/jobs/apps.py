from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "strongroom.jobs"
    label = "jobs"
