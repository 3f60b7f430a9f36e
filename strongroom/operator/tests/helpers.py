"""Test helpers: an installation operator, signed-in web clients, and a support grant in each state."""

from __future__ import annotations

from typing import Any

from django.test import Client as WebClient

from conftest import make_user
from strongroom.accounts.models import User, Workspace
from strongroom.audit.actors import operator as cli
from strongroom.operator.models import SupportGrant
from strongroom.operator.operators import do_add_operator
from strongroom.operator.support import do_approve_support, do_request_support


def make_operator(email: str = "ops@installation.example") -> User:
    user = make_user(email, "Opal Operator")
    do_add_operator(user, cli("test"))
    return user


def browser(user: User | None) -> WebClient:
    """A web client signed in as `user` (None: anonymous). The test client does not check CSRF."""
    web = WebClient()
    if user is not None:
        web.force_login(user)
    return web


def ask(
    workspace: Workspace, operator: User, hours: int = 4, reason: str = "Ticket 4711: upload fails"
) -> SupportGrant:
    return do_request_support(workspace, operator, reason=reason, hours=hours)


def granted(
    workspace: Workspace, operator: User, owner: User, hours: Any = None, *, files_allowed: bool = False
) -> SupportGrant:
    return do_approve_support(ask(workspace, operator), owner, hours, files_allowed=files_allowed)
