"""Who has a second factor, and who must have one."""

from __future__ import annotations

from strongroom.accounts.models import User, Workspace
from strongroom.twofactor.models import Passkey, TotpDevice


def has_authenticator_app(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def has_factor(user: User) -> bool:
    """A confirmed authenticator app or a passkey; recovery codes only stand in for them."""
    return (
        TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
        or Passkey.objects.filter(user=user).exists()
    )


def required_for(user: User) -> bool:
    """Whether any workspace the user belongs to requires two-factor sign-in."""
    return Workspace.objects.filter(memberships__user=user, require_two_factor=True).exists()
