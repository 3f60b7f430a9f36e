"""Master keys inside a PKCS#11 token (an HSM, or SoftHSM2 as a stand-in for tests).

Each master key is an AES-256 secret key generated inside the token (CKM_AES_KEY_GEN) as a token
object that is SENSITIVE and not EXTRACTABLE, usable only to ENCRYPT and DECRYPT, labelled
`strongroom-master-<key id>`. Its value never leaves the token: wrapping a workspace key is an
AES-GCM encryption performed by the token (CKM_AES_GCM, a 12-byte IV drawn by the host with
os.urandom, a 128-bit tag, the associated data as the GCM AAD), and the output has the shape of
`primitives.seal`: b"\\x01" + IV + ciphertext||tag.

Which key is current is recorded in the token itself, in a data object (CKO_DATA) labelled
`strongroom-current-master` whose value is the key id. SoftHSM2 refuses to change a data object's
value in place (CKR_ATTRIBUTE_READ_ONLY), so switching creates the new pointer first and then
destroys the old one. If a crash leaves two pointers, the greatest id among them wins (ids sort by
creation time, to the second): both keys exist, so either choice is safe, and the next switch
removes the stale pointer. A pointer rather than "the newest key" keeps the choice explicit: a key
generated under a wrong clock, or put into the token by hand, never becomes current by accident.

Sessions: a PKCS#11 login belongs to the whole process (every session of the application shares
it, and closing any logged-in session logs all of them out), so this module keeps one logged-in
read/write session per (module, token) for the whole process, opened lazily, never closed, and
used under one lock. A second provider for the same token reuses it if its PIN is the one that
logged in. A lost session (device reset, handle closed) is reopened once per operation; after a
fork the child re-initialises the library and logs in again. The PIN never appears in a message.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pkcs11
from pkcs11 import Attribute, GCMParams, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11
from pkcs11.types import DecryptMixin, EncryptMixin

from strongroom.crypto import primitives
from strongroom.crypto.errors import KeyProviderError, MasterKeyError
from strongroom.crypto.providers import new_key_id

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as Pkcs11Lib
    from pkcs11.types import Object, Session, Token

T = TypeVar("T")

KEY_LABEL_PREFIX = "strongroom-master-"
CURRENT_LABEL = "strongroom-current-master"
APPLICATION = "strongroom"
TAG_BITS = 128
_MIN_WRAPPED = 1 + primitives.NONCE_BYTES + TAG_BITS // 8
_KEY_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,63}")

# Errors that mean the session or the device went away, not that a key or a ciphertext is wrong.
# The operation is retried once on a fresh login, then reported as KeyProviderError.
_SESSION_LOST: tuple[type[Exception], ...] = (
    p11.SessionHandleInvalid,
    p11.SessionClosed,
    p11.UserNotLoggedIn,
    p11.DeviceRemoved,
    p11.TokenNotPresent,
    p11.TokenNotRecognised,
    p11.DeviceError,
    p11.DeviceMemory,
    p11.HostMemory,
)

_LOCK = threading.RLock()  # guards the two registries below and every call into a token


@dataclass
class _LoadedLib:
    lib: Pkcs11Lib
    pid: int


@dataclass
class _Login:
    pin_digest: bytes  # of the PIN that logged this process in; the PIN itself is not kept here
    pid: int
    session: Session | None  # None after the session was lost: the next use opens another


_LIBS: dict[str, _LoadedLib] = {}
_LOGINS: dict[tuple[str, str], _Login] = {}


def _pin_digest(pin: str) -> bytes:
    return hashlib.sha256(b"strongroom-pkcs11-pin\x00" + pin.encode("utf-8")).digest()


def _load_lib(module: str) -> Pkcs11Lib:
    """The library for `module`, loaded once per process (re-initialised in a forked child)."""
    loaded = _LIBS.get(module)
    if loaded is not None:
        if loaded.pid != os.getpid():
            # A forked child must not use the parent's PKCS#11 state: start the library afresh.
            for key in [k for k in _LOGINS if k[0] == module]:
                del _LOGINS[key]
            try:
                loaded.lib.reinitialize()
            except p11.PKCS11Error as exc:
                raise KeyProviderError(
                    f"the PKCS#11 module {module} could not be re-initialised after fork: "
                    f"{type(exc).__name__}"
                ) from None
            loaded.pid = os.getpid()
        return loaded.lib
    if not module:
        raise KeyProviderError(
            "no PKCS#11 module is configured: set STRONGROOM_PKCS11_MODULE to the path of your "
            "HSM vendor's PKCS#11 library (a .so file)"
        )
    if not Path(module).is_file():
        raise KeyProviderError(
            f"the PKCS#11 module {module} does not exist: set STRONGROOM_PKCS11_MODULE to the path "
            "of your HSM vendor's PKCS#11 library (a .so file)"
        )
    try:
        lib = pkcs11.lib(module)
    except (p11.PKCS11Error, OSError) as exc:
        raise KeyProviderError(
            f"the PKCS#11 module {module} could not be loaded ({exc}); check "
            "STRONGROOM_PKCS11_MODULE names your HSM vendor's PKCS#11 library"
        ) from None
    _LIBS[module] = _LoadedLib(lib=lib, pid=os.getpid())
    return lib


def _is_master_label(label: object) -> bool:
    return isinstance(label, str) and label.startswith(KEY_LABEL_PREFIX)


class Pkcs11KeyProvider:
    """Master keys that live, and are used, only inside a PKCS#11 token."""

    name = "pkcs11"

    def __init__(self, module: str, token_label: str, pin: str) -> None:
        self.module = module
        self.token_label = token_label
        self._pin = pin

    def __repr__(self) -> str:  # never show the PIN
        return f"Pkcs11KeyProvider(module={self.module!r}, token_label={self.token_label!r})"

    def describe(self) -> str:
        return f"PKCS#11 token '{self.token_label}' through {self.module}"

    # -- sessions ---------------------------------------------------------------------------

    def _find_token(self, lib: Pkcs11Lib) -> Token:
        try:
            tokens = list(lib.get_tokens())
        except p11.PKCS11Error as exc:
            raise KeyProviderError(
                f"the PKCS#11 module {self.module} could not list its tokens: {type(exc).__name__}"
            ) from None
        matches = [token for token in tokens if token.label == self.token_label]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise KeyProviderError(
                f"{len(matches)} tokens are labelled '{self.token_label}' in {self.module}; give "
                "the Strongroom token a unique label and set STRONGROOM_PKCS11_TOKEN_LABEL to it"
            )
        found = ", ".join(repr(t.label) if t.label else "an unlabelled token" for t in tokens)
        raise KeyProviderError(
            f"no token labelled '{self.token_label}' in {self.module} (tokens found: "
            f"{found or 'none'}); "
            "check STRONGROOM_PKCS11_TOKEN_LABEL"
        )

    def _login(self, token: Token, logged_in: bool) -> Session:
        pin_hint = "(check STRONGROOM_PKCS11_PIN or STRONGROOM_PKCS11_PIN_FILE)"
        try:
            try:
                return token.open(rw=True, user_pin=self._pin)
            except p11.UserAlreadyLoggedIn:
                if not logged_in:
                    raise
                # Our earlier login with this same PIN still holds for the whole process (only
                # the session was lost): a new session shares it without logging in again.
                return token.open(rw=True)
        except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
            raise KeyProviderError(
                f"the HSM rejected the PIN for token '{self.token_label}' {pin_hint}"
            ) from None
        except p11.PinLocked:
            raise KeyProviderError(
                f"the PIN for token '{self.token_label}' is locked after too many wrong attempts; "
                "the token's security officer must unlock or reset it"
            ) from None
        except p11.PinExpired:
            raise KeyProviderError(
                f"the PIN for token '{self.token_label}' has expired; set a new user PIN on the "
                f"token, then update the configured one {pin_hint}"
            ) from None
        except p11.UserPinNotInitialized:
            raise KeyProviderError(
                f"token '{self.token_label}' has no user PIN yet; initialise it (see docs/hsm.md)"
            ) from None
        except p11.UserAlreadyLoggedIn:
            raise KeyProviderError(
                f"token '{self.token_label}' is already logged in by other code in this process "
                "outside Strongroom; Strongroom must be the only PKCS#11 user of its token"
            ) from None
        except p11.PKCS11Error as exc:
            raise KeyProviderError(
                f"could not open a session on token '{self.token_label}': {type(exc).__name__}"
            ) from None

    def _session(self) -> Session:
        """The process's logged-in session on this token, opened on first use. Hold _LOCK."""
        if not self._pin:
            raise KeyProviderError(
                f"no PIN is configured for token '{self.token_label}': set "
                "STRONGROOM_PKCS11_PIN_FILE (or STRONGROOM_PKCS11_PIN)"
            )
        if not self.token_label:
            raise KeyProviderError(
                "no token label is configured: set STRONGROOM_PKCS11_TOKEN_LABEL to the label of "
                "the token that holds the Strongroom master keys"
            )
        lib = _load_lib(self.module)
        digest = _pin_digest(self._pin)
        login = _LOGINS.get((self.module, self.token_label))
        if login is not None and login.pid != os.getpid():
            login = None
        if login is not None and not hmac.compare_digest(login.pin_digest, digest):
            raise KeyProviderError(
                f"this process is logged in to token '{self.token_label}' with a different PIN "
                "than the one given now (check STRONGROOM_PKCS11_PIN or "
                "STRONGROOM_PKCS11_PIN_FILE)"
            )
        if login is not None and login.session is not None:
            return login.session
        session = self._login(self._find_token(lib), logged_in=login is not None)
        _LOGINS[(self.module, self.token_label)] = _Login(digest, os.getpid(), session)
        return session

    def _forget_session(self) -> None:
        # Not closed: C_Logout/C_CloseSession on a dead handle fails, and on a live one would log
        # out every other session of this process.
        login = _LOGINS.get((self.module, self.token_label))
        if login is not None:
            login.session = None

    def _run(self, operation: Callable[[Session], T]) -> T:
        """Run `operation` on the session under the lock, retrying once if the session was lost."""
        with _LOCK:
            for attempt in (1, 2):
                session = self._session()
                try:
                    return operation(session)
                except _SESSION_LOST as exc:
                    self._forget_session()
                    if attempt == 2:
                        raise KeyProviderError(
                            f"lost the session with token '{self.token_label}' in {self.module}: "
                            f"{type(exc).__name__}"
                        ) from None
                except p11.PKCS11Error as exc:
                    raise KeyProviderError(
                        f"token '{self.token_label}' refused the operation: {type(exc).__name__}"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -- objects ----------------------------------------------------------------------------

    @staticmethod
    def _check_id(key_id: str) -> None:
        if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
            raise MasterKeyError(f"{key_id!r} is not a master key id")

    def _master_keys(self, session: Session, key_id: str | None = None) -> list[Object]:
        attrs: dict[Attribute, Any] = {Attribute.CLASS: ObjectClass.SECRET_KEY}
        if key_id is not None:
            attrs[Attribute.LABEL] = KEY_LABEL_PREFIX + key_id
        return list(session.get_objects(attrs))

    def _key(self, session: Session, key_id: str) -> Object:
        """The token object of master key `key_id`, refusing one that is missing or unsafe."""
        self._check_id(key_id)
        found = self._master_keys(session, key_id)
        if not found:
            raise MasterKeyError(
                f"the HSM master key {key_id} is not in token '{self.token_label}' (no secret key "
                f"labelled {KEY_LABEL_PREFIX}{key_id}): it was destroyed, or this is not the token "
                "that holds this installation's keys"
            )
        if len(found) > 1:
            raise MasterKeyError(
                f"token '{self.token_label}' holds {len(found)} keys labelled "
                f"{KEY_LABEL_PREFIX}{key_id}; refusing to guess which is the master key"
            )
        key = found[0]
        attrs = key.get_attributes(
            [Attribute.KEY_TYPE, Attribute.VALUE_LEN, Attribute.SENSITIVE, Attribute.EXTRACTABLE]
        )
        if (
            attrs.get(Attribute.KEY_TYPE) != KeyType.AES
            or attrs.get(Attribute.VALUE_LEN) != primitives.KEY_BYTES
            or attrs.get(Attribute.SENSITIVE) is not True
            or attrs.get(Attribute.EXTRACTABLE) is not False
        ):
            raise MasterKeyError(
                f"the key labelled {KEY_LABEL_PREFIX}{key_id} in token '{self.token_label}' is not "
                "a sensitive, non-extractable AES-256 key; refusing to use it as a master key"
            )
        return key

    def _pointers(self, session: Session) -> list[tuple[str, Object]]:
        found = session.get_objects(
            {Attribute.CLASS: ObjectClass.DATA, Attribute.LABEL: CURRENT_LABEL}
        )
        pointers = []
        for obj in found:
            value = obj[Attribute.VALUE]
            text = bytes(value).decode("ascii", "replace") if value is not None else ""
            pointers.append((text, obj))
        return pointers

    def _current(self, session: Session) -> str | None:
        pointers = self._pointers(session)
        if not pointers:
            return None
        key_id = max(text for text, _ in pointers)
        try:
            self._check_id(key_id)
        except MasterKeyError:
            raise MasterKeyError(
                f"the '{CURRENT_LABEL}' data object in token '{self.token_label}' does not hold a "
                "master key id; it was altered outside Strongroom"
            ) from None
        if not self._master_keys(session, key_id):
            raise MasterKeyError(
                f"the current master key {key_id} is missing from token '{self.token_label}' "
                f"(no secret key labelled {KEY_LABEL_PREFIX}{key_id}); restore the token from "
                "its backup"
            )
        return key_id

    def _set_current(self, session: Session, key_id: str) -> None:
        old = [obj for text, obj in self._pointers(session) if text != key_id]
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.DATA,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: True,
                Attribute.LABEL: CURRENT_LABEL,
                Attribute.APPLICATION: APPLICATION,
                Attribute.VALUE: key_id.encode("ascii"),
            }
        )
        for obj in old:
            obj.destroy()

    # -- the KeyProvider protocol -----------------------------------------------------------

    def key_ids(self) -> list[str]:
        def operation(session: Session) -> list[str]:
            labels = [obj[Attribute.LABEL] for obj in self._master_keys(session)]
            return sorted(
                label[len(KEY_LABEL_PREFIX) :] for label in labels if _is_master_label(label)
            )

        return self._run(operation)

    def current_key_id(self) -> str | None:
        return self._run(self._current)

    def create_master_key(self) -> str:
        key_id = new_key_id()
        self._check_id(key_id)

        def operation(session: Session) -> str:
            if self._master_keys(session, key_id):
                raise MasterKeyError(f"a master key {key_id} already exists; try again")
            key = session.generate_key(
                KeyType.AES,
                primitives.KEY_BYTES * 8,
                label=KEY_LABEL_PREFIX + key_id,
                id=key_id.encode("ascii"),
                store=True,
                capabilities=MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT,
                template={
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.MODIFIABLE: False,
                    Attribute.ENCRYPT: True,
                    Attribute.DECRYPT: True,
                    Attribute.WRAP: False,
                    Attribute.UNWRAP: False,
                    Attribute.SIGN: False,
                    Attribute.VERIFY: False,
                    Attribute.DERIVE: False,
                },
            )
            try:
                self._key(session, key_id)  # the token honoured the template
            except MasterKeyError:
                key.destroy()
                raise KeyProviderError(
                    f"token '{self.token_label}' did not create a sensitive, non-extractable "
                    "AES-256 key; it cannot hold Strongroom master keys"
                ) from None
            self._set_current(session, key_id)
            return key_id

        return self._run(operation)

    def destroy_master_key(self, key_id: str) -> None:
        self._check_id(key_id)

        def operation(session: Session) -> None:
            if key_id == self._current(session):
                raise MasterKeyError(f"master key {key_id} is current; rotate to a new one first")
            found = self._master_keys(session, key_id)
            if not found:
                raise MasterKeyError(
                    f"the HSM master key {key_id} is not in token '{self.token_label}'"
                )
            for obj in found:
                obj.destroy()

        self._run(operation)

    def wrap(self, key_id: str, key: bytes, aad: bytes) -> bytes:
        iv = os.urandom(primitives.NONCE_BYTES)

        def operation(session: Session) -> bytes:
            master = self._key(session, key_id)
            if not isinstance(master, EncryptMixin):
                raise MasterKeyError(f"the HSM master key {key_id} is not allowed to encrypt")
            body = master.encrypt(
                bytes(key),
                mechanism=Mechanism.AES_GCM,
                mechanism_param=GCMParams(iv, bytes(aad), TAG_BITS),
            )
            if not isinstance(body, bytes):  # pragma: no cover - bytes in, bytes out
                raise KeyProviderError("the PKCS#11 library returned a stream for a single block")
            return body

        return primitives.FORMAT_V1 + iv + self._run(operation)

    def unwrap(self, key_id: str, wrapped: bytes, aad: bytes) -> bytes:
        self._check_id(key_id)
        if len(wrapped) < _MIN_WRAPPED or wrapped[:1] != primitives.FORMAT_V1:
            raise MasterKeyError(
                f"the HSM master key {key_id} does not open this workspace key: it is not a "
                "Strongroom wrapped key (unknown format or too short)"
            )
        iv = bytes(wrapped[1 : 1 + primitives.NONCE_BYTES])
        body = bytes(wrapped[1 + primitives.NONCE_BYTES :])

        def operation(session: Session) -> bytes:
            master = self._key(session, key_id)
            if not isinstance(master, DecryptMixin):
                raise MasterKeyError(f"the HSM master key {key_id} is not allowed to decrypt")
            try:
                plain = master.decrypt(
                    body,
                    mechanism=Mechanism.AES_GCM,
                    mechanism_param=GCMParams(iv, bytes(aad), TAG_BITS),
                )
            except _SESSION_LOST:
                raise
            except p11.PKCS11Error:
                # SoftHSM2 reports a failed GCM tag check as CKR_GENERAL_ERROR, other tokens as
                # CKR_ENCRYPTED_DATA_INVALID or similar: all of them mean "does not open".
                raise MasterKeyError(
                    f"the HSM master key {key_id} in token '{self.token_label}' does not open "
                    "this workspace key: the wrapped key was altered, belongs to another record, "
                    "or was wrapped under a different master key"
                ) from None
            if not isinstance(plain, bytes):  # pragma: no cover - bytes in, bytes out
                raise KeyProviderError("the PKCS#11 library returned a stream for a single block")
            return plain

        return self._run(operation)
