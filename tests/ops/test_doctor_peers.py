"""`smartnode doctor` asks each trusted peer for its node actor: a peer on loopback is reachable,
a dead port and a server that is not a node are unreachable, each with what to do; a peer's
trouble warns without failing the node's own checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

from tests.conftest import Invoke
from tests.servers import HOST, free_port
from tests.test_cli_ops import _lines


class _NodeActor(BaseHTTPRequestHandler):
    """A peer node's /actor, as any smartnode serves it (anything else: 404)."""

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path != "/actor" or getattr(self.server, "not_a_node", False):
            self.send_error(404)
            return
        uri = f"http://{HOST}:{port}/actor"
        body = json.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": uri,
                           "type": "Service", "inbox": f"{uri}/inbox"}).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/activity+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def _peer(*, not_a_node: bool = False) -> Iterator[str]:
    server = ThreadingHTTPServer((HOST, 0), _NodeActor)
    server.not_a_node = not_a_node  # type: ignore[attr-defined]
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_doctor_says_which_peers_answer_and_what_to_do_about_the_others(
    smartnode: Invoke,
) -> None:
    assert smartnode("init").exit_code == 0
    dead = f"http://{HOST}:{free_port()}"
    with _peer() as alive, _peer(not_a_node=True) as stranger:
        result = smartnode(
            "doctor",
            SMARTNODE_TRUSTED_PEERS=f"{alive},{dead},{stranger}",
            SMARTNODE_ALLOW_PRIVATE_ADDRESSES="true",
            SMARTNODE_SMTP_URL="smtp://127.0.0.1:2525",
        )
    assert "Traceback" not in result.output
    lines = _lines(result.output)
    up = lines[f"peer {alive.removeprefix('http://')}"]
    assert up[0] == "OK" and "reachable" in up[1], result.output
    down = lines[f"peer {dead.removeprefix('http://')}"]
    assert down[0] == "WARN" and "unreachable" in down[1] and "smartnode peer list" in down[1]
    odd = lines[f"peer {stranger.removeprefix('http://')}"]
    assert odd[0] == "WARN" and "answered 404" in odd[1] and "operator" in odd[1]
    assert result.exit_code == 0  # the node itself is fine; its peers' trouble is a warning


def test_doctor_without_peers_prints_no_peer_line(smartnode: Invoke) -> None:
    assert smartnode("init").exit_code == 0
    result = smartnode("doctor", SMARTNODE_SMTP_URL="smtp://127.0.0.1:2525")
    assert not [line for line in result.output.splitlines() if " peer " in line[:10]]
