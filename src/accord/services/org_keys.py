"""Organisations' signing and encryption keys: issue, rotate with an overlap, list.

The public halves are catalogue records anyone Accord knows may read; the private
halves stay sealed in the home of the organisation that owns them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from accord.core.permissions import Caller, Verdict, can_administer, can_read_catalogue
from accord.core.transfer.keys import KeyPurpose, KeyState, OrgKey
from accord.errors import ConfigurationError, ValidationError
from accord.keys import KeyStore
from accord.services.guard import authorise, refuse
from accord.store import Store
from accord.transfer.org_keys import OrgKeyRing

__all__ = ["DEFAULT_OVERLAP", "OrgKeyService"]

DEFAULT_OVERLAP = timedelta(days=30)
MAX_OVERLAP = timedelta(days=365)


class OrgKeyService:
    def __init__(self, store: Store, keys: KeyStore) -> None:
        self.store = store
        self.ring = OrgKeyRing(keys)

    def rotate(
        self, caller: Caller, organisation: str, *, overlap: timedelta = DEFAULT_OVERLAP
    ) -> list[OrgKey]:
        """Issue a new signing and encryption key; the ones they replace (if any) stay
        accepted for verification and decryption for ``overlap``, then retire."""
        if overlap < timedelta(0) or overlap > MAX_OVERLAP:
            raise ValidationError(
                f"--overlap-days must be between 0 and {MAX_OVERLAP.days}, not {overlap.days}"
            )
        org = self.store.get_organisation(organisation)
        event = authorise(
            self.store,
            caller,
            can_administer(caller, org.id),
            action="keys.rotate",
            obj=f"organisation:{org.id}:keys",
            organisation=org.id,
        )
        now = self.store.clock()
        new = self.ring.generate(org.id, now)
        overlap_until = {key.purpose: now + overlap for key in new}
        event = replace(
            event,
            details={
                **event.details,
                "new": {key.purpose.value: key.fingerprint for key in new},
                "overlap_until": (now + overlap).isoformat(),
            },
        )
        replaced = self.store.rotate_org_keys(new, overlap_until, audit=event)
        return new + [
            OrgKey(
                k.fingerprint,
                k.organisation,
                k.purpose,
                k.public_key,
                k.created_at,
                now,
                overlap_until[k.purpose],
            )
            for k in replaced
        ]

    def list(self, caller: Caller, organisation: str) -> list[OrgKey]:
        org = self.store.get_organisation(organisation)
        verdict = can_read_catalogue(caller)
        if not verdict:
            raise refuse(
                self.store,
                caller,
                "keys.list",
                f"organisation:{org.id}:keys",
                org.id,
                verdict.reason,
            )
        return self.store.list_org_keys(org.id)

    def current(self, organisation: str, purpose: KeyPurpose) -> OrgKey:
        """The key an organisation signs with, or is encrypted to, now."""
        now = self.store.clock()
        for key in self.store.list_org_keys(organisation):
            if key.purpose is purpose and key.state(now) is KeyState.CURRENT:
                return key
        raise ConfigurationError(
            f"{organisation!r} has no current {purpose.value} key. "
            f"Run `accord org rotate-keys {organisation}` to issue its keys."
        )

    def accepted(
        self, fingerprint: str, organisation: str, purpose: KeyPurpose, at: datetime
    ) -> Verdict:
        """Is the key named by ``fingerprint`` one of ``organisation``'s, for ``purpose``,
        and still accepted at ``at``? The reason names what is wrong."""
        short = fingerprint[:16]
        try:
            key = self.store.get_org_key(fingerprint)
        except LookupError:
            return Verdict(False, f"key {short}… is not registered in the catalogue")
        if key.organisation != organisation:
            return Verdict(
                False, f"key {short}… belongs to {key.organisation!r}, not {organisation!r}"
            )
        if key.purpose is not purpose:
            return Verdict(False, f"key {short}… is a {key.purpose.value} key, not {purpose.value}")
        if not key.accepted(at):
            ended = key.valid_until.isoformat() if key.valid_until else "on rotation"
            return Verdict(False, f"{organisation}'s key {short}… was retired ({ended})")
        return Verdict(True, f"{organisation}'s {key.state(at).value} {purpose.value} key {short}…")
