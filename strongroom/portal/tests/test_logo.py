"""The workspace's logo heads every portal page, the gate pages included; it is served only to a
visitor holding a live link of that workspace."""

from __future__ import annotations

import io

import pytest
from django.test import Client as WebClient

from strongroom.accounts.invitations import workspace_subject
from strongroom.accounts.models import User, Workspace
from strongroom.audit.actors import operator
from strongroom.collection.lifecycle import do_send_request
from strongroom.collection.tests.factories import make_client, make_request, question
from strongroom.portal.links import do_issue_link, do_set_password
from strongroom.vault.actions import do_store_blob

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"logo pixels"


def test_the_logo_heads_the_portal_and_the_password_page(workspace: Workspace, owner: User) -> None:
    workspace.logo = do_store_blob(workspace_subject(workspace, owner), io.BytesIO(PNG), name="logo.png",
                                   content_type="image/png", actor=operator("test"), workspace=workspace)
    workspace.save(update_fields=["logo"])
    request = do_send_request(make_request(workspace, owner, make_client(workspace, owner), [question("Q")]),
                              owner)
    link, token = do_issue_link(request, owner)
    do_set_password(link, "a long enough passphrase 42")
    web = WebClient()

    assert web.get("/portal/logo").status_code == 404  # no link, no logo
    web.get(f"/p/{token}")
    gate = web.get("/portal/password/")
    logo = web.get("/portal/logo")

    assert b'src="/portal/logo"' in gate.content
    assert logo.status_code == 200 and b"".join(logo.streaming_content) == PNG  # type: ignore[attr-defined]
    assert logo["Content-Type"] == "image/png"
