"""WebAuthn ceremonies with py_webauthn. The relying party is this installation: its id is the host
of BASE_URL and the only origin accepted is BASE_URL itself. Each challenge lives in the session and
is spent by the first answer, right or wrong."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils.translation import gettext as _
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import InvalidJSONStructure, WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from strongroom.accounts.models import User
from strongroom.twofactor.models import Passkey

RP_NAME = "Strongroom"
CHALLENGE_SECONDS = 300
REGISTER, SIGN_IN = "twofactor.webauthn.register", "twofactor.webauthn.sign_in"


class CeremonyFailed(Exception):
    """The browser's answer did not prove what it should; the message is safe to show."""


def rp_id() -> str:
    return urlsplit(settings.BASE_URL).hostname or ""


def origin() -> str:
    parts = urlsplit(settings.BASE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id))
        for passkey in user.passkeys.all()
    ]


def _keep_challenge(session: SessionBase, name: str, challenge: bytes) -> None:
    session[name] = {"challenge": bytes_to_base64url(challenge), "at": int(time.time())}


def _spend_challenge(session: SessionBase, name: str) -> bytes:
    kept = session.pop(name, None)
    if not kept or time.time() - kept["at"] > CHALLENGE_SECONDS:
        raise CeremonyFailed(_("The passkey request expired; try again."))
    return base64url_to_bytes(kept["challenge"])


def registration_options(session: SessionBase, user: User) -> str:
    """Options for navigator.credentials.create(), as JSON; the challenge is kept in the session."""
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=RP_NAME,
        user_id=user.pk.bytes,
        user_name=user.email,
        user_display_name=user.name or user.email,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    _keep_challenge(session, REGISTER, options.challenge)
    return options_to_json(options)


@dataclass(frozen=True)
class NewCredential:
    credential_id: str
    public_key: bytes
    sign_count: int


def verify_registration(session: SessionBase, credential: Any) -> NewCredential:
    challenge = _spend_challenge(session, REGISTER)
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=origin(),
        )
    except (WebAuthnException, InvalidJSONStructure, ValueError, KeyError, TypeError) as exc:
        raise CeremonyFailed(_("The passkey could not be verified.")) from exc
    return NewCredential(
        bytes_to_base64url(verified.credential_id), verified.credential_public_key, verified.sign_count
    )


def authentication_options(session: SessionBase, user: User) -> str:
    """Options for navigator.credentials.get(), limited to the user's passkeys, as JSON."""
    options = generate_authentication_options(
        rp_id=rp_id(),
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _keep_challenge(session, SIGN_IN, options.challenge)
    return options_to_json(options)


def verify_authentication(session: SessionBase, user: User, credential: Any) -> Passkey:
    """The user's passkey that signed the challenge, its counter updated in memory (not saved)."""
    challenge = _spend_challenge(session, SIGN_IN)
    try:
        parsed = parse_authentication_credential_json(credential)
    except (InvalidJSONStructure, ValueError, TypeError) as exc:
        raise CeremonyFailed(_("The passkey could not be verified.")) from exc
    passkey = user.passkeys.filter(credential_id=bytes_to_base64url(parsed.raw_id)).first()
    if passkey is None:
        raise CeremonyFailed(_("This passkey is not registered to your account."))
    try:
        verified = verify_authentication_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=origin(), credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise CeremonyFailed(_("The passkey could not be verified.")) from exc
    passkey.sign_count = verified.new_sign_count
    return passkey
