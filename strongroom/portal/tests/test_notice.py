"""The privacy notice: one exact text per workspace and language, identified by version and digest;
its acknowledgement is recorded with both, and nothing may be given before it."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext

from strongroom.accounts.models import User, Workspace
from strongroom.collection.models import Request
from strongroom.collection.tests.factories import events, make_client, make_request, question
from strongroom.portal.links import do_issue_link
from strongroom.portal.models import Acknowledgement, PortalLink
from strongroom.portal.notice import (
    NOTICE_VERSION,
    acknowledgement_required,
    do_acknowledge,
    has_acknowledged,
    notice_for,
)

pytestmark = pytest.mark.django_db

POLICY = "https://firm-a.example/privacy"
DPO = "dpo@firm-a.example"


@pytest.fixture
def request_(workspace: Workspace, owner: User) -> Request:
    client = make_client(workspace, owner)
    return make_request(workspace, owner, client, [question("Your tax number")], title="Tax return 2025")


@pytest.fixture
def link(request_: Request, owner: User) -> PortalLink:
    return do_issue_link(request_, owner)[0]


def reloaded(link: PortalLink) -> PortalLink:
    return PortalLink.objects.select_related("request__workspace", "request__client__subject").get(pk=link.pk)


def french_is_translated() -> bool:
    with translation.override("fr"):
        return gettext("Please read and acknowledge the privacy notice first.") != (
            "Please read and acknowledge the privacy notice first."
        )


def test_the_notice_names_the_workspace_and_the_request(link: PortalLink) -> None:
    notice = notice_for(link, "en")

    assert notice.version == NOTICE_VERSION and notice.language == "en"
    assert "Firm A" in notice.text and "Tax return 2025" in notice.text
    assert notice.sha256 == hashlib.sha256(f"{NOTICE_VERSION}\nen\n{notice.text}".encode()).hexdigest()


def test_english_and_french_notices_are_told_apart(link: PortalLink) -> None:
    english, french = notice_for(link, "en"), notice_for(link, "fr")

    assert (english.language, french.language) == ("en", "fr")
    assert english.version == french.version
    assert english.sha256 != french.sha256
    assert len(english.paragraphs) == len(french.paragraphs)
    if french_is_translated():
        assert english.text != french.text


def test_the_digest_changes_with_the_workspace_name(link: PortalLink, workspace: Workspace) -> None:
    before = notice_for(link, "en")

    workspace.name = "Firm A & Partners"
    workspace.save(update_fields=["name"])
    after = notice_for(reloaded(link), "en")

    assert "Firm A & Partners" in after.text
    assert after.sha256 != before.sha256
    assert notice_for(reloaded(link), "en").sha256 == after.sha256  # the same text, the same digest


def test_contact_and_policy_are_shown_only_when_set(link: PortalLink, workspace: Workspace) -> None:
    # given a workspace without contact or policy
    bare = notice_for(link, "en")
    assert DPO not in bare.text and bare.policy_url == ""

    # when both are set
    workspace.dpo_contact, workspace.privacy_policy_url = DPO, POLICY
    workspace.save(update_fields=["dpo_contact", "privacy_policy_url"])
    for language in ("en", "fr"):
        full = notice_for(reloaded(link), language)

        # then both appear, in each language, and change the digest
        assert DPO in full.text and POLICY in full.text
        assert full.policy_url == POLICY
        assert len(full.paragraphs) == len(bare.paragraphs) + 2
    assert notice_for(reloaded(link), "en").sha256 != bare.sha256


def test_an_acknowledgement_records_exactly_what_was_shown(link: PortalLink, workspace: Workspace) -> None:
    # given a workspace with a policy, and the French notice shown
    workspace.privacy_policy_url = POLICY
    workspace.save(update_fields=["privacy_policy_url"])
    link = reloaded(link)
    notice = notice_for(link, "fr")

    # when the client acknowledges it
    ack = do_acknowledge(link, notice, ip="198.51.100.4")

    # then the record holds the version, digest, policy and language, and it is audited
    stored = Acknowledgement.objects.get(pk=ack.pk)
    assert (stored.link_id, stored.notice_version, stored.notice_sha256) == (
        link.pk, NOTICE_VERSION, notice.sha256
    )
    assert (stored.policy_url, stored.language) == (POLICY, "fr")
    assert stored.acknowledged_at is not None
    [event] = events("portal.notice_acknowledged", ack)
    assert (event.actor_kind, event.actor_id) == ("client", str(link.pk))
    assert event.subject == link.request.client.subject_id
    assert event.extra["version"] == NOTICE_VERSION
    assert event.ip_sealed is not None


def test_acknowledgement_is_required_before_and_passes_after(link: PortalLink) -> None:
    # given a link whose holder has not acknowledged the notice
    assert has_acknowledged(link) is False
    with pytest.raises(PermissionDenied, match="privacy notice"):
        acknowledgement_required(link)

    # when they acknowledge it
    do_acknowledge(link, notice_for(link, "en"))

    # then the requirement passes
    assert has_acknowledged(link) is True
    acknowledgement_required(link)

