"""Enrolling, using and removing second factors, each change with its audit event."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.models import User
from strongroom.audit.actions import record
from strongroom.signin import notices
from strongroom.twofactor import recovery, totp
from strongroom.twofactor.models import Passkey, RecoveryCode, TotpDevice
from strongroom.twofactor.passkeys import NewCredential
from strongroom.twofactor.policy import has_factor, required_for

NICKNAME_MAX = 60


def do_start_totp(user: User) -> TotpDevice:
    """The user's unconfirmed authenticator, made on first call; a confirmed one is refused."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.confirmed_at is not None:
            raise ValidationError(_("An authenticator app is already set up; remove it first."))
        if device is None:
            device = totp.new_device(user)
            device.save(force_insert=True)
    return device


def _fresh_codes_if_none(user: User) -> list[str]:
    if RecoveryCode.objects.filter(user=user, used_at__isnull=True).exists():
        return []
    return _replace_codes(user)


def _replace_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = recovery.new_codes()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=recovery.code_hash(user, code)) for code in codes
    )
    return codes


def do_confirm_totp(user: User, code: str) -> list[str]:
    """Activate the authenticator with a first valid code; returns new recovery codes, if any were made."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
        if device is None:
            raise ValidationError(_("Start setting up an authenticator app first."))
        step = totp.matching_step(device, code)
        if step is None:
            raise ValidationError(_("That code is not right. Check the time on your phone and try again."))
        device.confirmed_at, device.last_step = timezone.now(), step
        device.save(update_fields=["confirmed_at", "last_step"])
        record(user, "twofactor.enrolled", device, subject=user.subject_id, method="totp")
        notices.tell_user(user, "totp_added")
        return _fresh_codes_if_none(user)


def do_add_passkey(user: User, nickname: str, credential: NewCredential) -> Passkey:
    nickname = nickname.strip()[:NICKNAME_MAX] or _("Passkey")
    with transaction.atomic():
        if Passkey.objects.filter(credential_id=credential.credential_id).exists():
            raise ValidationError(_("This passkey is already registered."))
        passkey = Passkey(
            user=user, nickname=nickname, credential_id=credential.credential_id,
            public_key=credential.public_key, sign_count=credential.sign_count,
        )
        passkey.save(force_insert=True)
        record(user, "twofactor.enrolled", passkey, subject=user.subject_id, method="passkey")
        notices.tell_user(user, "passkey_added")
    return passkey


def _check_may_remove(user: User, remaining: bool) -> None:
    if not remaining and required_for(user):
        raise ValidationError(
            _(
                "A workspace you belong to requires two-factor sign-in: add another method before "
                "removing this one."
            )
        )


def _after_removal(user: User) -> None:
    """Recovery codes stand in for a factor; with none left they go too."""
    if not has_factor(user):
        RecoveryCode.objects.filter(user=user).delete()


def do_remove_totp(user: User) -> None:
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            raise ValidationError(_("No authenticator app is set up."))
        if device.confirmed_at is not None:
            _check_may_remove(user, Passkey.objects.filter(user=user).exists())
        record(user, "twofactor.removed", device, subject=user.subject_id, method="totp")
        if device.confirmed_at is not None:
            notices.tell_user(user, "totp_removed")
        device.delete()
        _after_removal(user)


def do_remove_passkey(user: User, passkey_id: Any) -> None:
    with transaction.atomic():
        passkey = Passkey.objects.select_for_update().filter(user=user, pk=passkey_id).first()
        if passkey is None:
            raise ValidationError(_("No such passkey."))
        others = Passkey.objects.filter(user=user).exclude(pk=passkey.pk).exists()
        confirmed_app = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
        _check_may_remove(user, others or confirmed_app)
        record(user, "twofactor.removed", passkey, subject=user.subject_id, method="passkey")
        notices.tell_user(user, "passkey_removed")
        passkey.delete()
        _after_removal(user)


def do_regenerate_recovery_codes(user: User) -> list[str]:
    """Ten new codes; the old ones stop working."""
    with transaction.atomic():
        if not has_factor(user):
            raise ValidationError(_("Set up an authenticator app or a passkey first."))
        codes = _replace_codes(user)
        record(user, "twofactor.recovery_regenerated", user, subject=user.subject_id)
        notices.tell_user(user, "recovery_codes_regenerated")
    return codes


def check_totp(user: User, code: str) -> bool:
    """Whether `code` is the user's current code, not used before; spends its time step."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).select_related("user").first()
    if device is None:
        return False
    step = totp.matching_step(device, code)
    # A conditional update: two requests racing with the same code cannot both win.
    return step is not None and bool(
        TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
    )


def use_recovery_code(user: User, code: str) -> bool:
    """Whether `code` is one of the user's unused recovery codes; spends it."""
    with transaction.atomic():
        spent = RecoveryCode.objects.filter(
            user=user, code_hash=recovery.code_hash(user, code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if spent:
            left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
            record(user, "twofactor.recovery_used", user, subject=user.subject_id, left=left)
    return bool(spent)


def second_factor_ok(user: User, code: str) -> bool:
    """A current authenticator code, else an unused recovery code (spent): for confirmations."""
    code = code.strip().replace(" ", "")
    return check_totp(user, code) or use_recovery_code(user, code)


def delete_factors(user: User) -> None:
    """Every factor of a closing account; call inside the closing transaction."""
    TotpDevice.objects.filter(user=user).delete()
    Passkey.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()


def do_use_passkey(passkey: Passkey) -> None:
    """Keep the authenticator's new signature counter and the time of use."""
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])
