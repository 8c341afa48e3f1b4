"""The witness over HTTP: ``GET /head`` and ``POST /checkpoint``.

One lock serialises verdict-and-store, so two concurrent submissions can never both
be checked against the same old head. Request models are strict (unknown fields are
refused) and bounded: a consistency proof has at most 64 hashes for any log of fewer
than 2**64 events, so no honest request is larger than :data:`MAX_BODY` bytes, and a
larger one is refused (413) before it is read.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from accord.core.checkpoint import checkpoint_from_json, cosign_checkpoint
from accord.errors import AccordError
from accord.witness.policy import WitnessHead, can_cosign
from accord.witness.state import WitnessState

__all__ = ["MAX_BODY", "create_witness_app"]

MAX_BODY = 16 * 1024
"""Bytes: a checkpoint and 64 proof hashes take about 5 KiB."""

Hex64 = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]


class CheckpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = "checkpoint"
    version: int = 2
    seq: int = Field(ge=1)
    head_hash: Hex64
    tree_size: int = Field(ge=1)
    root: Hex64
    signed_at: str = Field(max_length=40)
    key_fingerprint: str = Field(max_length=64)
    signature: str = Field(max_length=200)


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkpoint: CheckpointIn
    old_size: int = Field(ge=0, description="The tree size the proof starts from.")
    proof: list[Hex64] = Field(default_factory=list, max_length=64)


class CosignatureOut(BaseModel):
    key_fingerprint: str
    signature: str
    tree_size: int
    root: str


class HeadOut(BaseModel):
    tree_size: int
    root: str | None
    signed_at: str | None
    public_key: str


def _error(status: int, code: str, message: str) -> JSONResponse:
    body = {"error": {"status": status, "code": code, "message": message, "details": {}}}
    return JSONResponse(body, status_code=status)


def create_witness_app(home: Path) -> FastAPI:
    state = WitnessState.open(home)
    key = state.key()
    audit_key = state.audit_key()
    public_key = state.public_key_hex()
    lock = threading.Lock()
    app = FastAPI(title="Accord audit witness", version="1")

    @app.middleware("http")
    async def bounded(request: Request, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        if request.method == "POST" and (length is None or not length.isdigit()):
            return _error(411, "length_required", "a POST needs a Content-Length header")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            return _error(413, "too_large", f"the body is over {MAX_BODY:,} bytes")
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return _error(422, "validation", f"the request is not valid: {problems}")

    @app.exception_handler(AccordError)
    async def accord_error(_: Request, exc: AccordError) -> JSONResponse:
        return _error(exc.status_code, exc.code, exc.message)

    @app.get("/head", response_model=HeadOut)
    def head() -> HeadOut:
        """The last head this witness countersigned, and its public key."""
        current = state.head()
        return HeadOut(
            tree_size=current.tree_size if current else 0,
            root=current.root if current else None,
            signed_at=current.signed_at if current else None,
            public_key=public_key,
        )

    @app.post("/checkpoint", response_model=CosignatureOut, responses={409: {}})
    def submit(body: SubmitIn) -> Any:
        """Countersign a checkpoint that extends the last head signed; 409 with the reason
        for one that was rolled back, forked or comes with a proof that fails."""
        checkpoint = checkpoint_from_json(body.checkpoint.model_dump(), "the checkpoint")
        with lock:
            current = state.head()
            signed_size = current.tree_size if current else 0
            proof = [bytes.fromhex(p) for p in body.proof]
            verdict = can_cosign(audit_key, current, checkpoint, proof)
            if not verdict.allowed:
                reason = verdict.reason
                size = checkpoint.tree_size or 0
                if size > signed_size and body.old_size != signed_size:
                    reason = (
                        f"the proof starts from {body.old_size:,} events but this witness "
                        f"last signed {signed_size:,}: ask GET /head and prove from there"
                    )
                return _error(409, "conflict", reason)
            cosignature = cosign_checkpoint(key, checkpoint)
            assert checkpoint.tree_size is not None
            assert checkpoint.root is not None
            state.store_head(
                WitnessHead(checkpoint.tree_size, checkpoint.root, checkpoint.signed_at)
            )
        return CosignatureOut(
            key_fingerprint=cosignature.key_fingerprint,
            signature=cosignature.signature,
            tree_size=checkpoint.tree_size,
            root=checkpoint.root,
        )

    return app
