"""(r) of bench/inbox.py: a bare FastAPI route that only verifies the inbox POST's signature.

Keys come from the JSON file named by SMARTNODE_BENCH_KEYS ({key id: public key PEM}), loaded
once into key objects; the URL the sender signed starts with SMARTNODE_BENCH_BASE_URL. The
route reads the body, verifies the signature with the node's own signature code (draft-cavage
coverage, digest, Date window, RSA) and answers 202, or 401.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import orjson
from fastapi import FastAPI, Request, Response

from smartnode.federation.signatures import (
    PublicKey,
    SignatureError,
    SignedRequest,
    load_public_key_pem,
    parse_signature,
    verify_signature,
)
from smartnode.ops.heap import freeze_startup_heap
from smartnode.ops.telemetry import NO_OPENTELEMETRY


def verify_only_app() -> FastAPI:
    """POST /inbox: verify with a cached key object, then 202; nothing parsed, nothing stored."""
    pems: dict[str, str] = orjson.loads(Path(os.environ["SMARTNODE_BENCH_KEYS"]).read_bytes())
    keys: dict[str, PublicKey] = {key_id: load_public_key_pem(pem) for key_id, pem in pems.items()}
    base_url = os.environ["SMARTNODE_BENCH_BASE_URL"]
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, telemetry=NO_OPENTELEMETRY)

    @app.post("/inbox")
    async def inbox(request: Request) -> Response:
        body = await request.body()
        signed = SignedRequest.from_pairs(
            request.method, base_url + request.url.path, request.headers.items(), body
        )
        try:
            parsed = parse_signature(signed)
            key = keys.get(parsed.key_id)
            if key is None:
                return Response(status_code=401)
            verify_signature(parsed, signed, key, datetime.now(UTC))
        except SignatureError:
            return Response(status_code=401)
        return Response(status_code=202)

    freeze_startup_heap()  # as the node's own process does
    return app
