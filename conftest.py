"""Fixtures shared by every test: a master key, and staff in two workspaces (owner, member, outsider)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strongroom.accounts.actions import do_add_member, do_create_user, do_create_workspace
from strongroom.accounts.models import Role, User, Workspace
from strongroom.audit.actors import operator
from strongroom.crypto import keys
from strongroom.crypto.providers import get_provider

PASSWORD = "a long enough passphrase 42"


@pytest.fixture(autouse=True)
def _master_key() -> Iterator[None]:
    """Each test starts from the configured provider with a master key, and no keys in memory."""
    get_provider.cache_clear()
    keys.forget_cached_keys()
    provider = get_provider()
    if provider.current_key_id() is None:
        provider.create_master_key()
    yield
    get_provider.cache_clear()
    keys.forget_cached_keys()


@pytest.fixture(autouse=True)
def _blob_dir(settings: Any, tmp_path: Path) -> None:
    """Each test has a blob store of its own: the database rolls back after a test, files do not."""
    settings.BLOB_DIR = tmp_path / "blobs"


def make_user(email: str, name: str = "") -> User:
    return do_create_user(email, PASSWORD, operator("test"), name=name)


@pytest.fixture
def owner(db: Any) -> User:
    return make_user("owner@firm-a.example", "Olive Owner")


@pytest.fixture
def member(db: Any) -> User:
    return make_user("member@firm-a.example", "Mark Member")


@pytest.fixture
def outsider(db: Any) -> User:
    return make_user("owner@firm-b.example", "Otto Outsider")


@pytest.fixture
def workspace(owner: User, member: User) -> Workspace:
    ws = do_create_workspace("Firm A", owner, operator("test"))
    do_add_member(ws, member, Role.MEMBER, owner)
    return ws


@pytest.fixture
def other_workspace(outsider: User) -> Workspace:
    return do_create_workspace("Firm B", outsider, operator("test"))
