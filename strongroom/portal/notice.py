"""The privacy notice a client acknowledges before giving anything, and the record that they did."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from strongroom.audit.actions import record
from strongroom.portal.models import Acknowledgement, PortalLink

NOTICE_VERSION = "2026-11-1"


@dataclass(frozen=True)
class Notice:
    paragraphs: tuple[str, ...]
    policy_url: str
    version: str
    language: str

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(f"{self.version}\n{self.language}\n{self.text}".encode()).hexdigest()


def notice_for(link: PortalLink, language: str) -> Notice:
    """The exact notice shown for this link's request, in `language`."""
    request = link.request
    workspace = request.workspace
    with translation.override(language):
        paragraphs = [
            _("%(workspace)s asks you for the documents and information listed in “%(title)s”.")
            % {"workspace": workspace.name, "title": request.title},
            _(
                "%(workspace)s decides why and how this information is used (it is the controller). "
                "Strongroom keeps it for them, encrypted, and uses it for nothing else."
            )
            % {"workspace": workspace.name},
            _(
                "They will use what you provide to handle the matter this request is about, keep it "
                "for as long as their retention rules require, and then delete it. You can ask them to "
                "see, correct, export or delete your information at any time."
            ),
        ]
        if workspace.dpo_contact:
            paragraphs.append(
                _("Their data protection contact: %(contact)s.") % {"contact": workspace.dpo_contact}
            )
        if workspace.privacy_policy_url:
            paragraphs.append(_("Their privacy policy: %(url)s") % {"url": workspace.privacy_policy_url})
    return Notice(tuple(paragraphs), workspace.privacy_policy_url, NOTICE_VERSION, language)


def has_acknowledged(link: PortalLink) -> bool:
    """The person behind this link acknowledged the notice for this request, through any of their links
    (each e-mail brings a new link; the notice is read once)."""
    same_person = Acknowledgement.objects.filter(link__request_id=link.request_id)
    if link.contributor_id is None:
        return same_person.filter(link__contributor__isnull=True).exists()
    return same_person.filter(link__contributor_id=link.contributor_id).exists()


def do_acknowledge(link: PortalLink, notice: Notice, ip: str | None = None) -> Acknowledgement:
    """Store that the client acknowledged exactly this notice."""
    with transaction.atomic():
        ack = Acknowledgement.objects.create(
            link=link,
            policy_url=notice.policy_url,
            notice_version=notice.version,
            notice_sha256=notice.sha256,
            language=notice.language,
        )
        record(
            link,
            "portal.notice_acknowledged",
            ack,
            workspace=link.request.workspace_id,
            subject=link.request.client.subject_id,
            ip=ip,
            version=notice.version,
        )
    return ack


def acknowledgement_required(link: PortalLink) -> None:
    """Nothing may be given before the notice is acknowledged."""
    if not has_acknowledged(link):
        raise PermissionDenied(_("Please read and acknowledge the privacy notice first."))
