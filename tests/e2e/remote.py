"""Remote parties of the end-to-end tests, all on 127.0.0.1 and stopped by the tests.

`FakeOrigin` serves actor documents whose keys the test holds, so the test can sign
activities as those actors; `SilentHost` accepts TCP connections and never answers, like a
host that hangs. `signed_post` sends a draft-cavage signed POST as Mastodon does.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from smartnode.federation.keys import generate_rsa_keypair, load_private_key
from smartnode.federation.signatures import sign_request_cavage
from smartnode.federation.vocab import ACTIVITY_JSON, ACTOR_CONTEXT, AS_CONTEXT

HOST = "127.0.0.1"


@dataclass(frozen=True)
class FakeActor:
    """An actor the test speaks for: its id, key id and private key PEM."""

    uri: str
    key_id: str
    private_pem: str

    def activity(self, kind: str, obj: Any, token: str) -> dict[str, Any]:
        """An activity by this actor with an id on its own origin."""
        return {
            "@context": AS_CONTEXT,
            "id": f"{self.uri}/activities/{token}",
            "type": kind,
            "actor": self.uri,
            "object": obj,
        }


class FakeOrigin:
    """An HTTP server on 127.0.0.1 serving the actor documents added to it."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        documents = self.documents

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = documents.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", ACTIVITY_JSON)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def add_actor(self, username: str, *, inbox: str | None = None) -> FakeActor:
        """Serve a Person with a fresh RSA-2048 key; its inbox may be anywhere."""
        private_pem, public_pem = generate_rsa_keypair()
        uri = self.url(f"/users/{username}")
        document = {
            "@context": ACTOR_CONTEXT,
            "id": uri,
            "type": "Person",
            "preferredUsername": username,
            "name": username.title(),
            "inbox": inbox or f"{uri}/inbox",
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public_pem},
        }
        self.documents[f"/users/{username}"] = json.dumps(document).encode()
        return FakeActor(uri, f"{uri}#main-key", private_pem)


@contextmanager
def fake_origin() -> Iterator[FakeOrigin]:
    origin = FakeOrigin()
    origin.thread.start()
    try:
        yield origin
    finally:
        origin.server.shutdown()
        origin.server.server_close()


class SilentHost:
    """Accepts TCP connections on 127.0.0.1 and never answers; counts them."""

    def __init__(self) -> None:
        self.listener = socket.create_server((HOST, 0))
        self.listener.settimeout(0.2)
        self.port = int(self.listener.getsockname()[1])
        self.accepted = 0
        self.held: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def hanging(self) -> list[int]:
        """Which connections (0 = the first accepted) the client still holds open."""
        still = []
        for number, connection in enumerate(self.held):
            try:
                while connection.recv(65536, socket.MSG_DONTWAIT):
                    pass  # the request, read and ignored
            except BlockingIOError:
                still.append(number)  # nothing more to read, and not closed
            except OSError:
                pass  # reset by the client
        return still

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            self.held.append(connection)  # read nothing, answer nothing, keep it open


@contextmanager
def silent_host() -> Iterator[SilentHost]:
    host = SilentHost()
    host.thread.start()
    try:
        yield host
    finally:
        host.stopped.set()
        host.thread.join()
        host.listener.close()
        for connection in host.held:
            connection.close()


def signed_post(
    url: str, activity: dict[str, Any], key_id: str, private_pem: str
) -> httpx.Response:
    """POST an activity signed (draft-cavage, rsa-sha256) with the key `key_id` names."""
    body = json.dumps(activity).encode()
    headers = {"Content-Type": ACTIVITY_JSON}
    headers.update(
        sign_request_cavage(
            "POST", url, headers, body, key_id, load_private_key(private_pem), datetime.now(UTC)
        )
    )
    return httpx.post(url, content=body, headers=headers, timeout=15)
