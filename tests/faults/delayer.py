"""Latency on the path without `tc netem`: hold every packet of an NFQUEUE queue for a while,
then let it go, in order. Run inside the namespace whose packets it holds:

    ip netns exec NS python -m tests.faults.delayer --queue 0 --hold 2 --ready FILE

An iptables rule in that namespace (`-j NFQUEUE --queue-num 0`) hands the kernel's packets to
this queue; the kernel keeps each packet until this process gives its verdict (accept), which it
gives `--hold` seconds after the packet was queued. TCP on both ends sees the delay as it would
see netem's `delay`: handshakes, ACKs and retransmission timers all run against it. The queue
is spoken to over netlink (nfnetlink_queue) with the standard library only. It writes FILE once
the queue is bound, and stops after `--lifetime` seconds whatever happens.
"""

from __future__ import annotations

import argparse
import select
import socket
import struct
import time
from collections import deque
from pathlib import Path

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_ACCEPT = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
_NFGEN = struct.Struct("=BBH")  # nfgenmsg: family, version, resource id (big-endian queue)


def _attribute(kind: int, payload: bytes) -> bytes:
    size = 4 + len(payload)
    return struct.pack("=HH", size, kind) + payload + b"\0" * (-size % 4)


def _message(kind: int, queue: int, attributes: bytes, sequence: int, flags: int) -> bytes:
    body = _NFGEN.pack(socket.AF_UNSPEC, 0, socket.htons(queue)) + attributes
    kind = (NFNL_SUBSYS_QUEUE << 8) | kind
    return _HEADER.pack(_HEADER.size + len(body), kind, flags, sequence, 0) + body


class Queue:
    """One bound nfnetlink queue: packet ids in, verdicts out."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.sock.bind((0, 0))
        self._sequence = 0
        self._configure(_attribute(NFQA_CFG_CMD, struct.pack("!BxH", NFQNL_CFG_CMD_BIND, 0)))
        self._configure(_attribute(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META)))

    def _send(self, kind: int, attributes: bytes, flags: int) -> None:
        self._sequence += 1
        self.sock.send(_message(kind, self.number, attributes, self._sequence, flags))

    def _configure(self, attributes: bytes) -> None:
        """Send one configuration message and fail loudly unless the kernel acknowledges it."""
        self._send(NFQNL_MSG_CONFIG, attributes, NLM_F_REQUEST | NLM_F_ACK)
        data = self.sock.recv(65536)
        _, kind, _, _, _ = _HEADER.unpack_from(data)
        (error,) = struct.unpack_from("=i", data, _HEADER.size) if kind == NLMSG_ERROR else (0,)
        if error:
            raise OSError(-error, f"nfnetlink_queue refused the configuration of {self.number}")

    def packet_ids(self) -> list[int]:
        """The ids of the packets the kernel queued in one read (acknowledgements skipped)."""
        data = self.sock.recv(1 << 20)
        ids = []
        offset = 0
        while offset + _HEADER.size <= len(data):
            length, kind, _, _, _ = _HEADER.unpack_from(data, offset)
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                ids.extend(_packet_id(data[offset + _HEADER.size + _NFGEN.size : offset + length]))
            offset += max((length + 3) & ~3, _HEADER.size)
        return ids

    def accept(self, packet_id: int) -> None:
        verdict = struct.pack("!II", NF_ACCEPT, packet_id)
        self._send(NFQNL_MSG_VERDICT, _attribute(NFQA_VERDICT_HDR, verdict), NLM_F_REQUEST)


def _packet_id(attributes: bytes) -> list[int]:
    offset = 0
    while offset + 4 <= len(attributes):
        size, kind = struct.unpack_from("=HH", attributes, offset)
        if size < 4:
            break
        if kind & 0x7FFF == NFQA_PACKET_HDR:
            return [struct.unpack_from("!I", attributes, offset + 4)[0]]
        offset += (size + 3) & ~3
    return []


def hold(queue: Queue, seconds: float, lifetime: float) -> None:
    """Accept each queued packet `seconds` after it arrived, in arrival order."""
    waiting: deque[tuple[float, int]] = deque()
    stop = time.monotonic() + lifetime
    while time.monotonic() < stop:
        timeout = max(0.0, waiting[0][0] - time.monotonic()) if waiting else 0.5
        readable, _, _ = select.select([queue.sock], [], [], timeout)
        if readable:
            arrived = time.monotonic()
            waiting.extend((arrived + seconds, packet) for packet in queue.packet_ids())
        while waiting and waiting[0][0] <= time.monotonic():
            queue.accept(waiting.popleft()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue", type=int, default=0)
    parser.add_argument("--hold", type=float, required=True)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--lifetime", type=float, default=300.0)
    args = parser.parse_args()
    queue = Queue(args.queue)
    Path(args.ready).write_text("ready")
    hold(queue, args.hold, args.lifetime)


if __name__ == "__main__":
    main()
