"""The deployment's side of the witness: ask its head, send a checkpoint with a proof.

Every failure is an :class:`~accord.errors.AccordError`: :class:`WitnessUnavailable`
when the witness cannot be reached (the platform carries on; the checkpoint stays
published and is sent again later), :class:`~accord.errors.ConflictError` when it
refuses (a rollback or fork the operator must look at).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accord.core.checkpoint import (
    Checkpoint,
    Cosignature,
    checkpoint_to_json,
    verify_cosignature,
)
from accord.errors import AuditError, ConflictError

__all__ = ["WitnessClient", "WitnessUnavailable", "WitnessView"]


class WitnessUnavailable(AuditError):
    """The witness did not answer (down, unreachable, too slow, or answered nonsense)."""


@dataclass(frozen=True, slots=True)
class WitnessView:
    tree_size: int
    root: str | None


class WitnessClient:
    def __init__(self, url: str, public_key: Ed25519PublicKey, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.public_key = public_key
        self.timeout = timeout

    def _call(self, method: str, path: str, body: object = None) -> httpx.Response:
        try:
            return httpx.request(method, self.url + path, json=body, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise WitnessUnavailable(f"the witness at {self.url} did not answer: {exc}") from exc

    def head(self) -> WitnessView:
        answer = self._call("GET", "/head")
        try:
            data = answer.json()
            answer.raise_for_status()
            return WitnessView(int(data["tree_size"]), data.get("root"))
        except (ValueError, KeyError, TypeError, httpx.HTTPStatusError) as exc:
            raise WitnessUnavailable(
                f"the witness at {self.url} answered GET /head with {answer.status_code}"
            ) from exc

    def cosign(self, checkpoint: Checkpoint, old_size: int, proof: Sequence[bytes]) -> Cosignature:
        body = {
            "checkpoint": checkpoint_to_json(checkpoint),
            "old_size": old_size,
            "proof": [p.hex() for p in proof],
        }
        answer = self._call("POST", "/checkpoint", body)
        try:
            data = answer.json()
        except ValueError:
            data = {}
        if answer.status_code == 409:
            message = (data.get("error") or {}).get("message", "no reason given")
            raise ConflictError(f"the witness at {self.url} refused the checkpoint: {message}")
        if answer.status_code != 200 or not isinstance(data, dict):
            raise WitnessUnavailable(
                f"the witness at {self.url} answered POST /checkpoint with {answer.status_code}"
            )
        cosignature = Cosignature(str(data.get("key_fingerprint")), str(data.get("signature")))
        if not verify_cosignature(self.public_key, checkpoint, cosignature):
            raise AuditError(
                f"the witness at {self.url} answered a countersignature that does not verify "
                "with ACCORD_WITNESS_PUBLIC_KEY: check that the key is the witness's"
            )
        return cosignature
