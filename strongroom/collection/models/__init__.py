from strongroom.collection.models.clients import Client
from strongroom.collection.models.requests import (
    Contributor,
    Message,
    ReminderSent,
    Request,
    RequestItem,
    RequestSection,
    Upload,
)
from strongroom.collection.models.templates import Template, TemplateItem, TemplateSection

__all__ = [
    "Client",
    "Contributor",
    "Message",
    "ReminderSent",
    "Request",
    "RequestItem",
    "RequestSection",
    "Template",
    "TemplateItem",
    "TemplateSection",
    "Upload",
]
