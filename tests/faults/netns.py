"""Remote hosts in network namespaces of the test's own, and the faults put on their links.

Each host is a namespace `smartnode-<pid>-<n>` joined to the test's (root) namespace by a veth
pair on a /30 of 10.213.0.0/16 that no interface here uses yet (chosen under a file lock, so
the SQLite and PostgreSQL runs of CI, side by side, never share one). The host's end is `eth0`
at the block's second address; servers inside bind only that. Faults are netfilter rules in
the host's own namespace (its tables are its own: nothing outside it is touched):

- loss: `-m statistic --mode random --probability P -j DROP` on what `eth0` sends and receives;
- reset: `-j REJECT --reject-with tcp-reset` on the first segment carrying a request (PSH): the
  handshake completes, then the connection is reset;
- latency: `-j NFQUEUE` on what `eth0` sends, held by tests/faults/delayer.py (the kernel has
  no `sch_netem`).

Everything made is removed on exit, failure included: processes left in the namespace are
killed, the veth and the namespace deleted; namespaces of runs that died are swept first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NETWORK = IPv4Network("10.213.0.0/16")
PREFIX = "smartnode"
LOCK = Path(tempfile.gettempdir()) / "smartnode-netns.lock"
_OURS = re.compile(rf"^{PREFIX}-(\d+)-\d+$")
_OUR_LINKS = re.compile(r"^\d+: (snf(\d+)x\d+)[@:]")


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
    return done.stdout


@dataclass
class NetHost:
    """One namespace: its name, the veth end in the test's namespace, both addresses."""

    namespace: str
    link: str
    address: str  # the host's end (eth0 inside the namespace)
    gateway: str  # the test's end

    def command(self, *argv: str) -> list[str]:
        """argv running `argv` inside the namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]

    def iptables(self, *rule: str) -> None:
        _run(*self.command("iptables", "-w", *rule))

    def matched(self, target: str) -> int:
        """Packets the namespace's rules with this target have taken so far (their counters)."""
        listing = _run(*self.command("iptables", "-w", "-L", "-v", "-n", "-x"))
        return sum(
            int(fields[0])
            for fields in (line.split() for line in listing.splitlines())
            if len(fields) > 2 and fields[0].isdigit() and fields[2] == target
        )


def lose(host: NetHost, probability: float) -> None:
    """Drop this share of the packets the host sends and receives, at random."""
    chance = ["-m", "statistic", "--mode", "random", "--probability", str(probability)]
    host.iptables("-A", "INPUT", "-i", "eth0", *chance, "-j", "DROP")
    host.iptables("-A", "OUTPUT", "-o", "eth0", *chance, "-j", "DROP")


def reset_requests(host: NetHost, port: int) -> None:
    """Accept connections to `port`, then reset each one when its request arrives."""
    request = ["-i", "eth0", "-p", "tcp", "--dport", str(port), "--tcp-flags", "PSH", "PSH"]
    host.iptables("-A", "INPUT", *request, "-j", "REJECT", "--reject-with", "tcp-reset")


@contextmanager
def delayed(host: NetHost, seconds: float, folder: Path) -> Iterator[None]:
    """Hold every packet the host sends for `seconds` (NFQUEUE + tests/faults/delayer.py)."""
    ready = folder / f"delayer-{host.namespace}.ready"
    command = host.command(sys.executable, "-m", "tests.faults.delayer", "--queue", "0",
                           "--hold", str(seconds), "--ready", str(ready))  # fmt: skip
    with (folder / f"delayer-{host.namespace}.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the delayer of {host.namespace} did not start")
            time.sleep(0.05)
        host.iptables("-A", "OUTPUT", "-o", "eth0", "-j", "NFQUEUE", "--queue-num", "0")
        yield
    finally:
        process.kill()
        process.wait(10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _namespaces() -> list[str]:
    return [line.split()[0] for line in _run("ip", "netns", "list").splitlines() if line]


def _remove(host: NetHost) -> None:
    """Kill what still runs in the namespace, delete the veth and the namespace."""
    if host.namespace in _namespaces():
        for pid in _run("ip", "netns", "pids", host.namespace).split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), 9)
    subprocess.run(["ip", "link", "del", host.link], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True, check=False)


def leftovers(hosts: list[NetHost]) -> list[str]:
    """The namespaces and veths of these hosts that still exist (none once they are removed)."""
    links = _run("ip", "-o", "link", "show")
    names = _namespaces()
    return [
        *(h.namespace for h in hosts if h.namespace in names),
        *(h.link for h in hosts if re.search(rf"\b{h.link}[@:]", links)),
    ]


def _sweep_stale() -> None:
    """Namespaces of ours whose test process is gone (a run killed before its cleanup)."""
    for name in _namespaces():
        found = _OURS.match(name)
        if found and not _alive(int(found.group(1))):
            for pid in _run("ip", "netns", "pids", name).split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), 9)
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
    for line in _run("ip", "-o", "link", "show").splitlines():
        found = _OUR_LINKS.match(line)
        if found and not _alive(int(found.group(2))):
            subprocess.run(["ip", "link", "del", found.group(1)], capture_output=True, check=False)


def _used_blocks() -> set[IPv4Network]:
    used = set()
    for line in _run("ip", "-o", "-4", "addr", "show").splitlines():
        found = re.search(r"\binet (\S+)", line)
        if found:
            network = IPv4Interface(found.group(1)).network
            if network.overlaps(NETWORK):
                used.add(network.supernet(new_prefix=30) if network.prefixlen > 30 else network)
    return used


def _free_blocks(count: int) -> list[IPv4Network]:
    used = _used_blocks()
    blocks: list[IPv4Network] = []
    for block in NETWORK.subnets(new_prefix=30):
        if not any(block.overlaps(other) for other in used):
            blocks.append(block)
            if len(blocks) == count:
                return blocks
    raise AssertionError(f"no {count} free /30 blocks left in {NETWORK}")


@contextmanager
def _locked() -> Iterator[None]:
    with LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _make(host: NetHost, block: IPv4Network) -> None:
    prefix = f"/{block.prefixlen}"
    _run("ip", "netns", "add", host.namespace)
    _run("ip", "link", "add", host.link, "type", "veth", "peer", "name", "eth0",
         "netns", host.namespace)  # fmt: skip
    _run("ip", "addr", "add", host.gateway + prefix, "dev", host.link)
    _run("ip", "link", "set", host.link, "up")
    _run("ip", "-n", host.namespace, "addr", "add", host.address + prefix, "dev", "eth0")
    _run("ip", "-n", host.namespace, "link", "set", "eth0", "up")
    _run("ip", "-n", host.namespace, "link", "set", "lo", "up")


@contextmanager
def net_hosts(count: int) -> Iterator[list[NetHost]]:
    """`count` fresh namespaces, each on its own veth; all removed on exit."""
    _sweep_stale()
    pid = os.getpid()
    made: list[NetHost] = []
    try:
        with _locked():
            for index, block in enumerate(_free_blocks(count)):
                gateway, address = (str(a) for a in block.hosts())
                host = NetHost(f"{PREFIX}-{pid}-{index}", f"snf{pid}x{index}", address, gateway)
                made.append(host)
                _make(host, block)
        yield made
    finally:
        for host in made:
            _remove(host)
