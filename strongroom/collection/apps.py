from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "strongroom.collection"
    label = "collection"
