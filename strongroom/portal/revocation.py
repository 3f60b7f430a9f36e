"""Withdrawing every portal link of a request at once (a link sent to the wrong address, a device lost).

Each link is revoked through `links.do_revoke_link`, which records one "portal.link_revoked" event per
link; the request itself stays as it is, and staff can send the client a new link afterwards.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from strongroom.accounts.access import require_member
from strongroom.portal.links import do_revoke_link
from strongroom.portal.models import PortalLink


def do_revoke_request_links(request: Any, actor: Any) -> int:
    """Revoke every live link of `request` (the client's and each contributor's); return how many."""
    require_member(request.workspace_id, actor)
    with transaction.atomic():
        live = list(
            PortalLink.objects.select_for_update()
            .filter(request=request, revoked_at=None)
            .exclude(expires_at__lte=timezone.now())
            .order_by("created_at")
        )
        for link in live:
            link.request = request  # spares do_revoke_link a query per link
            do_revoke_link(link, actor)
    return len(live)
