"""Slow clients (slow-loris: many connections sending their headers a byte at a time) and huge
headers against a real `smartnode serve`: other clients are still served, huge headers get a
4xx, and the process is still there to answer."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx

from tests.servers import HOST, smartnode_server

LORIS = 200
HUGE = 256 * 1024


def test_slow_loris_and_huge_headers_leave_the_node_serving(tmp_path: Path) -> None:
    with smartnode_server(tmp_path / "node") as node:
        slow: list[socket.socket] = []
        try:
            for _ in range(LORIS):
                connection = socket.create_connection((HOST, node.port), timeout=5)
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                slow.append(connection)
            served = []
            for round_ in range(5):
                for connection in slow:
                    connection.sendall(f"X-{round_}: a\r\n".encode()[:2])  # a byte or two
                served.append(httpx.get(node.url("/healthz"), timeout=10).status_code)
                time.sleep(0.2)
            huge = httpx.get(node.url("/healthz"), headers={"X-Big": "a" * HUGE}, timeout=10)
            after = httpx.get(node.url("/healthz"), timeout=10)
        finally:
            for connection in slow:
                connection.close()
        assert node.running.process.poll() is None, node.running.fail("the node exited")

    assert served == [200] * 5
    assert huge.status_code == 431 and huge.json()["code"] == "headers_too_large"
    assert after.status_code == 200
