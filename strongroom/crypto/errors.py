"""Errors raised by the crypto layer. Each message names the problem in words an operator can act on."""


class CryptoError(Exception):
    """Base class of every error the crypto layer raises."""


class DecryptionFailed(CryptoError):
    """Ciphertext did not authenticate: tampered, moved to another place, or opened with the wrong key."""


class SubjectErased(DecryptionFailed):
    """The subject's key was destroyed (crypto-shredding): their data can never be read again."""


class MasterKeyError(CryptoError):
    """The master key is missing, wrong, or unsafe to use."""


class SubjectSecretMissing(MasterKeyError):
    """A live subject's secret is missing from (or damaged in) the key folder's subject secret store.

    Not an erasure: the subject was never destroyed, so the store is incomplete and must be restored
    from the key-folder backup. Never a DecryptionFailed, so nothing shows it as "erased".
    """


class KeyProviderError(CryptoError):
    """The key provider (key file or HSM) could not be used."""


class SealedStreamError(DecryptionFailed):
    """A sealed file is corrupt, truncated, reordered, foreign, or not a sealed file at all."""
