"""The audit log: one append-only, hash-chained event per security-relevant action.

Public face: `actions.record(actor, action, target, subject=None, workspace=None, **extra)`,
`actors` (who acted), `chain.verify_chain(chain)`.
"""
