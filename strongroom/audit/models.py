"""Audit events, hash-chained per workspace; the database refuses to update or delete them."""

from __future__ import annotations

from django.db import models

from strongroom.privacy.datamap import DataMap, LegalBasis, Personal, Purpose, Retention

INSTALLATION_CHAIN = "installation"

ACCOUNTABILITY = Purpose("accountability", "Security and accountability: the audit trail")
AUDIT_RETENTION = Retention("audit retention period of the workspace", counted_from="the event", days=6 * 365)


class Event(models.Model):
    """One thing that happened. Holds ids and codes, never personal data itself; the actor's
    network address is sealed under the chain's keyring key."""

    id = models.BigAutoField(primary_key=True)
    chain = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()
    workspace = models.UUIDField(null=True, blank=True)
    actor_kind = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    subject = models.UUIDField(null=True, blank=True)
    ip_sealed = models.BinaryField(null=True)
    extra = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    data_map = DataMap(
        subject_kind="staff,client",
        not_personal={
            "id": "sequence number", "chain": "which workspace's chain", "seq": "position in the chain",
            "created_at": "time of the event", "workspace": "workspace id",
            "actor_kind": "kind of actor", "actor_id": "random id of the actor",
            "action": "event code", "target_type": "kind of record acted on",
            "target_id": "random id of the record", "subject": "random id of the data subject",
            "extra": "codes and ids describing the event, never personal data",
            "prev_hash": "hash chain link", "hash": "hash chain link",
        },
        actor_data={
            "ip_sealed": Personal(
                "user.device.ip_address", ACCOUNTABILITY, LegalBasis.LEGITIMATE_INTERESTS, AUDIT_RETENTION
            )
        },
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="one_event_per_chain_position")]
        indexes = [models.Index(fields=["workspace", "created_at"]), models.Index(fields=["subject"])]

    def __str__(self) -> str:
        return f"event {self.chain}#{self.seq} {self.action}"


class ChainHead(models.Model):
    """The last link of each chain, locked while appending so events are numbered without gaps;
    it also reveals events removed from the end of a chain."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    data_map = DataMap(not_personal={"chain": "chain name", "seq": "position", "hash": "hash chain link"})

    def __str__(self) -> str:
        return f"chain head {self.chain}#{self.seq}"
