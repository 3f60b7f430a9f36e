"""Pkcs11KeyProvider against a real SoftHSM2 token made for this test session.

SoftHSM2 reads SOFTHSM2_CONF and scans its token folder once, when the library is initialised,
and python-pkcs11 loads a library once per process: so the session fixture writes the
configuration and creates every token these tests use before anything loads the module.

Run: .venv/bin/python -m pytest strongroom/crypto/tests/test_pkcs11.py -p no:django
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pkcs11 import Attribute, KeyType, ObjectClass

from strongroom.crypto import pkcs11 as hsm
from strongroom.crypto import primitives
from strongroom.crypto.errors import KeyProviderError, MasterKeyError
from strongroom.crypto.pkcs11 import Pkcs11KeyProvider

REPO = Path(__file__).resolve().parents[3]
LABEL = "strongroom-test"
PIN = "1234"
SO_PIN = "5678"
PIN_TEST_LABEL = "strongroom-pin-test"  # never logged in to, so the token itself judges the PIN
PIN_TEST_PIN = "2468"
WRONG_PIN = "97531"
AAD = b"strongroom/workspace/42/key"

MODULE_CANDIDATES = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/lib/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
]


@dataclass(frozen=True)
class SoftHsm:
    module: str
    conf: Path


def _find_softhsm() -> tuple[str, str] | None:
    util = shutil.which("softhsm2-util")
    if util is None:
        return None
    candidates = list(MODULE_CANDIDATES)
    prefix = Path(util).resolve().parent.parent
    candidates += [str(prefix / "lib" / "softhsm" / "libsofthsm2.so")]
    for candidate in candidates:
        if Path(candidate).is_file():
            return util, candidate
    return None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def softhsm_install() -> tuple[str, str]:
    """softhsm2-util and the module: skipped without them, except in CI, where that is a failure."""
    found = _find_softhsm()
    if found is None:
        message = (
            "SoftHSM2 is not installed (softhsm2-util and libsofthsm2.so were not found); "
            "install it with: apt-get install softhsm2"
        )
        if _in_ci():
            pytest.fail(f"softhsm2 must be installed for the HSM tests in CI. {message}")
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def softhsm(
    softhsm_install: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SoftHsm]:
    util, module = softhsm_install
    if module in hsm._LIBS:
        pytest.fail(f"{module} was loaded before SOFTHSM2_CONF was set; the test token is unseen")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    try:
        for label, pin in ((LABEL, PIN), (PIN_TEST_LABEL, PIN_TEST_PIN)):
            subprocess.run(
                [
                    util,
                    "--init-token",
                    "--free",
                    "--label",
                    label,
                    "--pin",
                    pin,
                    "--so-pin",
                    SO_PIN,
                ],
                check=True,
                capture_output=True,
                text=True,
            )
        yield SoftHsm(module=module, conf=conf)
    finally:
        if previous is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture
def provider(softhsm: SoftHsm) -> Pkcs11KeyProvider:
    return Pkcs11KeyProvider(module=softhsm.module, token_label=LABEL, pin=PIN)


def _in_other_process(code: str) -> dict[str, object]:
    """Run `code` in a fresh interpreter (a restart, or an outside auditor); it prints JSON."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


# -- keys in the token ----------------------------------------------------------------------


@pytest.mark.hsm
def test_create_master_key_makes_it_current(provider: Pkcs11KeyProvider) -> None:
    key_id = provider.create_master_key()
    assert provider.current_key_id() == key_id
    assert key_id in provider.key_ids()
    assert provider.key_ids() == sorted(provider.key_ids())
    assert provider.name == "pkcs11"
    assert LABEL in provider.describe()


@pytest.mark.hsm
def test_master_key_in_token_is_sensitive_and_not_extractable(
    provider: Pkcs11KeyProvider, softhsm: SoftHsm
) -> None:
    key_id = provider.create_master_key()
    # Read it back from another process, as any PKCS#11 client of the token would.
    code = f"""
import json, pkcs11
from pkcs11 import Attribute, ObjectClass
from pkcs11.exceptions import PKCS11Error
lib = pkcs11.lib({softhsm.module!r})
token = lib.get_token(token_label={LABEL!r})
with token.open(user_pin={PIN!r}) as session:
    (key,) = session.get_objects({{Attribute.CLASS: ObjectClass.SECRET_KEY,
                                   Attribute.LABEL: "strongroom-master-{key_id}"}})
    names = ["TOKEN", "PRIVATE", "SENSITIVE", "ALWAYS_SENSITIVE", "EXTRACTABLE",
             "NEVER_EXTRACTABLE", "LOCAL", "ENCRYPT", "DECRYPT", "WRAP", "UNWRAP", "SIGN",
             "DERIVE", "VALUE_LEN", "KEY_TYPE"]
    out = {{name: key[getattr(Attribute, name)] for name in names}}
    out["KEY_TYPE"] = out["KEY_TYPE"].name
    try:
        key[Attribute.VALUE]
        out["value_read"] = "READ"
    except PKCS11Error as exc:
        out["value_read"] = type(exc).__name__
print(json.dumps(out))
"""
    attrs = _in_other_process(code)
    assert attrs["TOKEN"] is True
    assert attrs["PRIVATE"] is True
    assert attrs["SENSITIVE"] is True
    assert attrs["ALWAYS_SENSITIVE"] is True
    assert attrs["EXTRACTABLE"] is False
    assert attrs["NEVER_EXTRACTABLE"] is True
    assert attrs["LOCAL"] is True  # generated inside the token, not imported
    assert attrs["ENCRYPT"] is True
    assert attrs["DECRYPT"] is True
    assert attrs["WRAP"] is False
    assert attrs["UNWRAP"] is False
    assert attrs["SIGN"] is False
    assert attrs["DERIVE"] is False
    assert attrs["VALUE_LEN"] == 32
    assert attrs["KEY_TYPE"] == "AES"
    assert attrs["value_read"] == "AttributeSensitive"


# -- wrap and unwrap ------------------------------------------------------------------------


@pytest.mark.hsm
def test_wrap_unwrap_round_trip(provider: Pkcs11KeyProvider) -> None:
    key_id = provider.create_master_key()
    workspace_key = primitives.random_key()
    wrapped = provider.wrap(key_id, workspace_key, AAD)
    assert wrapped[:1] == b"\x01"
    assert len(wrapped) == 1 + 12 + 32 + 16
    assert workspace_key not in wrapped
    assert provider.unwrap(key_id, wrapped, AAD) == workspace_key
    # A fresh IV every time.
    assert provider.wrap(key_id, workspace_key, AAD)[1:13] != wrapped[1:13]
    assert provider.unwrap(key_id, wrapped, AAD) == workspace_key
    assert provider.unwrap(key_id, provider.wrap(key_id, b"", b""), b"") == b""


@pytest.mark.hsm
def test_wrapped_form_is_primitives_seal(provider: Pkcs11KeyProvider) -> None:
    """The token's GCM output opens with primitives.unseal given the same key (known-key check)."""
    key_id = "19990101T000000Z-known"
    raw = primitives.random_key()
    provider._run(
        lambda session: session.create_object(
            {
                Attribute.CLASS: ObjectClass.SECRET_KEY,
                Attribute.KEY_TYPE: KeyType.AES,
                Attribute.VALUE: raw,
                Attribute.TOKEN: False,  # a session object: gone at the end of the process
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.ENCRYPT: True,
                Attribute.DECRYPT: True,
                Attribute.LABEL: hsm.KEY_LABEL_PREFIX + key_id,
            }
        )
    )
    try:
        secret = primitives.random_key()
        wrapped = provider.wrap(key_id, secret, AAD)
        assert primitives.unseal(raw, wrapped, AAD) == secret
        assert provider.unwrap(key_id, primitives.seal(raw, secret, AAD), AAD) == secret
    finally:
        provider._run(lambda session: provider._key(session, key_id).destroy())


@pytest.mark.hsm
def test_unwrap_with_wrong_aad_fails(provider: Pkcs11KeyProvider) -> None:
    key_id = provider.create_master_key()
    wrapped = provider.wrap(key_id, primitives.random_key(), AAD)
    with pytest.raises(MasterKeyError, match=rf"HSM master key {key_id} .*does not open"):
        provider.unwrap(key_id, wrapped, b"strongroom/workspace/43/key")
    with pytest.raises(MasterKeyError):
        provider.unwrap(key_id, wrapped, b"")


@pytest.mark.hsm
@pytest.mark.parametrize("position", [0, 1, 12, 13, 44, 45, -1])
def test_tampered_wrapped_key_fails(provider: Pkcs11KeyProvider, position: int) -> None:
    key_id = provider.create_master_key()
    workspace_key = primitives.random_key()
    wrapped = bytearray(provider.wrap(key_id, workspace_key, AAD))
    wrapped[position] ^= 0x01
    with pytest.raises(MasterKeyError, match=rf"HSM master key {key_id} .*does not open"):
        provider.unwrap(key_id, bytes(wrapped), AAD)
    # The session is still good after the failed decryption.
    assert provider.unwrap(key_id, provider.wrap(key_id, workspace_key, AAD), AAD) == workspace_key


@pytest.mark.hsm
def test_truncated_or_foreign_bytes_fail(provider: Pkcs11KeyProvider) -> None:
    key_id = provider.create_master_key()
    wrapped = provider.wrap(key_id, primitives.random_key(), AAD)
    for bad in (b"", wrapped[:28], wrapped[:-1], wrapped + b"\x00", b"\x02" + wrapped[1:]):
        with pytest.raises(MasterKeyError, match=key_id):
            provider.unwrap(key_id, bad, AAD)


@pytest.mark.hsm
def test_unwrap_under_another_master_key_fails(provider: Pkcs11KeyProvider) -> None:
    first = provider.create_master_key()
    wrapped = provider.wrap(first, primitives.random_key(), AAD)
    second = provider.create_master_key()
    with pytest.raises(MasterKeyError, match=rf"HSM master key {second} .*does not open"):
        provider.unwrap(second, wrapped, AAD)


@pytest.mark.hsm
def test_unknown_key_id_is_master_key_error(provider: Pkcs11KeyProvider) -> None:
    with pytest.raises(MasterKeyError, match="20000101T000000Z-abcdef"):
        provider.unwrap("20000101T000000Z-abcdef", b"\x01" + bytes(60), AAD)
    with pytest.raises(MasterKeyError, match="20000101T000000Z-abcdef"):
        provider.wrap("20000101T000000Z-abcdef", primitives.random_key(), AAD)
    with pytest.raises(MasterKeyError, match="not a master key id"):
        provider.wrap("../etc", primitives.random_key(), AAD)


# -- rotation and destruction ---------------------------------------------------------------


@pytest.mark.hsm
def test_rotation_keeps_old_wraps_and_makes_new_key_current(provider: Pkcs11KeyProvider) -> None:
    old = provider.create_master_key()
    workspace_key = primitives.random_key()
    wrapped = provider.wrap(old, workspace_key, AAD)
    new = provider.create_master_key()
    assert new != old
    assert provider.current_key_id() == new
    assert {old, new} <= set(provider.key_ids())
    assert provider.unwrap(old, wrapped, AAD) == workspace_key
    rewrapped = provider.wrap(new, provider.unwrap(old, wrapped, AAD), AAD)
    assert provider.unwrap(new, rewrapped, AAD) == workspace_key


@pytest.mark.hsm
def test_destroy_refuses_current_and_destroys_old(provider: Pkcs11KeyProvider) -> None:
    old = provider.create_master_key()
    wrapped = provider.wrap(old, primitives.random_key(), AAD)
    with pytest.raises(MasterKeyError, match=rf"{old} is current"):
        provider.destroy_master_key(old)
    assert old in provider.key_ids()
    new = provider.create_master_key()
    provider.destroy_master_key(old)
    assert old not in provider.key_ids()
    assert provider.current_key_id() == new
    with pytest.raises(MasterKeyError, match=rf"HSM master key {old} is not in token"):
        provider.unwrap(old, wrapped, AAD)
    with pytest.raises(MasterKeyError, match=old):
        provider.destroy_master_key(old)


@pytest.mark.hsm
def test_interrupted_switch_of_current_pointer_resolves_to_greatest_id(
    provider: Pkcs11KeyProvider,
) -> None:
    first = provider.create_master_key()
    second = provider.create_master_key()
    # As if a switch had crashed between creating the new pointer and removing the old one.
    # (Ids made in the same second sort by their random part, so compare ids, not call order.)
    provider._run(
        lambda session: session.create_object(
            {
                Attribute.CLASS: ObjectClass.DATA,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: True,
                Attribute.LABEL: hsm.CURRENT_LABEL,
                Attribute.VALUE: first.encode(),
            }
        )
    )
    assert len(provider._run(provider._pointers)) == 2
    assert provider.current_key_id() == max(first, second)
    newest = provider.create_master_key()
    assert provider.current_key_id() == newest
    assert [text for text, _ in provider._run(provider._pointers)] == [newest]


@pytest.mark.hsm
def test_another_instance_and_a_restart_see_the_same_current_key(
    provider: Pkcs11KeyProvider, softhsm: SoftHsm
) -> None:
    key_id = provider.create_master_key()
    workspace_key = primitives.random_key()
    wrapped = provider.wrap(key_id, workspace_key, AAD)

    again = Pkcs11KeyProvider(module=softhsm.module, token_label=LABEL, pin=PIN)
    assert again.current_key_id() == key_id
    assert again.unwrap(key_id, wrapped, AAD) == workspace_key

    code = f"""
import json
from strongroom.crypto.pkcs11 import Pkcs11KeyProvider
p = Pkcs11KeyProvider(module={softhsm.module!r}, token_label={LABEL!r}, pin={PIN!r})
current = p.current_key_id()
key = p.unwrap(current, bytes.fromhex({wrapped.hex()!r}), {AAD!r})
print(json.dumps({{"current": current, "key": key.hex(), "ids": p.key_ids()}}))
"""
    seen = _in_other_process(code)
    assert seen["current"] == key_id
    assert seen["key"] == workspace_key.hex()
    assert seen["ids"] == provider.key_ids()


@pytest.mark.hsm
def test_threads_share_the_session_safely(provider: Pkcs11KeyProvider) -> None:
    key_id = provider.create_master_key()
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                secret = primitives.random_key()
                assert provider.unwrap(key_id, provider.wrap(key_id, secret, AAD), AAD) == secret
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.hsm
def test_forked_child_logs_in_again(provider: Pkcs11KeyProvider) -> None:
    key_id = provider.create_master_key()
    secret = primitives.random_key()
    wrapped = provider.wrap(key_id, secret, AAD)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        status = 1
        try:
            os.close(read_end)
            opened = provider.unwrap(key_id, wrapped, AAD)
            os.write(write_end, opened)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    # A child stuck on a lock another thread held at fork time must fail the test, not hang the suite.
    ready, _, _ = select.select([read_end], [], [], 60)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_end)
        pytest.fail("the forked child did not answer within 60 s")
    with os.fdopen(read_end, "rb") as pipe:
        opened = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert opened == secret
    assert provider.unwrap(key_id, wrapped, AAD) == secret  # the parent's session is untouched


@pytest.mark.hsm
# python-pkcs11's search iterator reports the dead handle again from its __del__; harmless here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_lost_session_is_reopened(provider: Pkcs11KeyProvider, softhsm: SoftHsm) -> None:
    key_id = provider.create_master_key()
    secret = primitives.random_key()
    wrapped = provider.wrap(key_id, secret, AAD)
    login = hsm._LOGINS[(softhsm.module, LABEL)]
    assert login.session is not None
    # The handle goes away and the login with it (C_Logout + C_CloseSession): log in again.
    login.session.close()
    assert provider.unwrap(key_id, wrapped, AAD) == secret
    # Only the session is lost, the process's login still holds: a new session shares it.
    login = hsm._LOGINS[(softhsm.module, LABEL)]
    login.session = None
    assert provider.unwrap(key_id, wrapped, AAD) == secret
    assert provider.current_key_id() == key_id


# -- configuration errors -------------------------------------------------------------------


@pytest.mark.hsm
def test_wrong_pin_is_rejected_without_echoing_it(softhsm: SoftHsm) -> None:
    bad = Pkcs11KeyProvider(module=softhsm.module, token_label=PIN_TEST_LABEL, pin=WRONG_PIN)
    with pytest.raises(KeyProviderError) as caught:
        bad.current_key_id()
    message = str(caught.value)
    assert message == (
        f"the HSM rejected the PIN for token '{PIN_TEST_LABEL}' "
        "(check STRONGROOM_PKCS11_PIN or STRONGROOM_PKCS11_PIN_FILE)"
    )
    assert WRONG_PIN not in message
    assert WRONG_PIN not in repr(bad)
    assert caught.value.__cause__ is None
    # The right PIN still works afterwards.
    good = Pkcs11KeyProvider(module=softhsm.module, token_label=PIN_TEST_LABEL, pin=PIN_TEST_PIN)
    assert good.current_key_id() is None


@pytest.mark.hsm
def test_other_pin_for_a_token_this_process_is_logged_in_to(
    provider: Pkcs11KeyProvider, softhsm: SoftHsm
) -> None:
    provider.key_ids()  # logged in
    bad = Pkcs11KeyProvider(module=softhsm.module, token_label=LABEL, pin=WRONG_PIN)
    with pytest.raises(KeyProviderError, match="STRONGROOM_PKCS11_PIN") as caught:
        bad.key_ids()
    assert WRONG_PIN not in str(caught.value)


@pytest.mark.hsm
def test_missing_pin(softhsm: SoftHsm) -> None:
    with pytest.raises(KeyProviderError, match="STRONGROOM_PKCS11_PIN_FILE"):
        Pkcs11KeyProvider(module=softhsm.module, token_label=LABEL, pin="").current_key_id()


@pytest.mark.hsm
def test_unknown_token_label_names_it_and_lists_the_tokens(softhsm: SoftHsm) -> None:
    missing = Pkcs11KeyProvider(module=softhsm.module, token_label="no-such-token", pin=PIN)
    with pytest.raises(KeyProviderError) as caught:
        missing.key_ids()
    message = str(caught.value)
    assert "'no-such-token'" in message
    assert f"'{LABEL}'" in message
    assert f"'{PIN_TEST_LABEL}'" in message
    assert "STRONGROOM_PKCS11_TOKEN_LABEL" in message


def test_nonexistent_module_path(tmp_path: Path) -> None:
    path = str(tmp_path / "libvendor-pkcs11.so")
    broken = Pkcs11KeyProvider(module=path, token_label=LABEL, pin=PIN)
    with pytest.raises(KeyProviderError) as caught:
        broken.create_master_key()
    assert path in str(caught.value)
    assert "STRONGROOM_PKCS11_MODULE" in str(caught.value)
    assert PIN not in str(caught.value)


def test_module_that_is_not_a_pkcs11_library(tmp_path: Path) -> None:
    path = tmp_path / "not-a-library.so"
    path.write_text("this is not a shared object\n")
    broken = Pkcs11KeyProvider(module=str(path), token_label=LABEL, pin=PIN)
    with pytest.raises(KeyProviderError, match="could not be loaded") as caught:
        broken.key_ids()
    assert str(path) in str(caught.value)
    assert "STRONGROOM_PKCS11_MODULE" in str(caught.value)


def test_no_module_configured() -> None:
    with pytest.raises(KeyProviderError, match="STRONGROOM_PKCS11_MODULE"):
        Pkcs11KeyProvider(module="", token_label=LABEL, pin=PIN).current_key_id()


# -- the key hierarchy on a token -------------------------------------------------------------


@pytest.mark.hsm
@pytest.mark.django_db
def test_subject_secrets_live_in_the_key_folder_with_master_keys_in_the_token(
    softhsm: SoftHsm, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    from strongroom.audit.actors import operator
    from strongroom.crypto import keys
    from strongroom.crypto.errors import SubjectErased
    from strongroom.crypto.models import SubjectKey
    from strongroom.crypto.providers import get_provider

    # given the PKCS#11 provider, and a key folder that does not exist yet
    settings.KEY_PROVIDER, settings.PKCS11_MODULE = "pkcs11", softhsm.module
    settings.PKCS11_TOKEN_LABEL, settings.PKCS11_PIN = LABEL, PIN
    settings.KEY_DIR = tmp_path / "keys"
    get_provider.cache_clear()
    keys.forget_cached_keys()
    keys.ensure_master_key()

    # when a subject is made, read and destroyed
    subject = keys.create_subject(keys.installation_keyring(), SubjectKey.Kind.CLIENT)
    secret = settings.KEY_DIR / "subjects" / str(subject.id)[:2] / f"{subject.id}.secret"
    assert get_provider().name == "pkcs11" and secret.is_file()
    assert settings.KEY_DIR.stat().st_mode & 0o777 == 0o700
    keys.forget_cached_keys()
    key = keys.subject_key(SubjectKey.objects.get(pk=subject.pk))
    with django_capture_on_commit_callbacks(execute=True):
        keys.destroy_subject_key(subject, operator("test"))

    # then the secret was in the key folder, and is gone with the subject
    assert len(key) == 32 and not secret.exists()
    with pytest.raises(SubjectErased):
        keys.subject_key(SubjectKey.objects.get(pk=subject.pk))

