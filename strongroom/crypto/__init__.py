"""The only code in Strongroom that touches keys or ciphers.

Public face:
- `keys`: the key hierarchy (master key -> keyring (one per workspace) -> subject key).
- `subject_secrets`: the per-subject secrets outside the database that make erasure reach backups.
- `fields`: encrypted model fields; `blind`: blind indexes for exact-match lookups.
- `streams`: streaming encryption of files.
- `errors`: what can go wrong, as exceptions with sentences a person can act on.
"""
