"""Where the cores went while a bench ran, from /proc (Linux): the machine's busy time, and the
CPU time of groups of processes (with their children) and of the PostgreSQL server's others."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
POSTGRES_REST = "postgres, rest of the server"


@dataclass(frozen=True, slots=True)
class CpuUse:
    """Cores busy during a measured span: the whole machine, and the processes measured."""

    machine: float
    workers: float


def machine_busy() -> float:
    """Seconds of CPU time the machine spent not idle (all cores), from /proc/stat."""
    fields = [int(f) for f in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICK


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu(pid: int) -> float:
    """Seconds of CPU time (user + system) a live process has used, from /proc/PID/stat."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK


def _all_processes() -> Iterable[tuple[int, str, list[str]]]:
    """(pid, command name, stat fields) of every process still there when read."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            yield int(entry.name), name, _stat(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue


@dataclass(frozen=True, slots=True)
class Snapshot:
    """CPU seconds used so far: the machine's, and per process of interest."""

    machine: float
    processes: dict[int, tuple[str, float]]  # pid: (group, seconds)


def snapshot(groups: dict[str, set[int]]) -> Snapshot:
    """CPU seconds now, per process: those of each group's ids and their children (e.g. the
    processes uvicorn starts), and every other `postgres` process as the group POSTGRES_REST
    (the server's own processes, and other databases' backends)."""
    rows = list(_all_processes())
    parent_of = {pid: int(fields[1]) for pid, _, fields in rows}
    found: dict[int, tuple[str, float]] = {}
    for pid, name, fields in rows:
        seconds = (int(fields[11]) + int(fields[12])) / TICK
        group = _group_of(pid, parent_of, groups)
        if group is None and name == "postgres":
            group = POSTGRES_REST
        if group is not None:
            found[pid] = (group, seconds)
    return Snapshot(machine_busy(), found)


def _group_of(pid: int, parent_of: dict[int, int], groups: dict[str, set[int]]) -> str | None:
    seen = pid
    for _ in range(4):  # the process, its parent, … (uvicorn's processes are grandchildren)
        for group, pids in groups.items():
            if seen in pids:
                return group
        seen = parent_of.get(seen, 0)
        if seen <= 1:
            return None
    return None


def cores_busy(before: Snapshot, after: Snapshot, seconds: float) -> dict[str, float]:
    """Cores busy between two snapshots: "machine", each group, and "other" (the rest)."""
    used: dict[str, float] = {}
    for pid, (group, spent) in after.processes.items():
        earlier = before.processes.get(pid)
        used[group] = used.get(group, 0.0) + spent - (earlier[1] if earlier else 0.0)
    busy = {group: spent / seconds for group, spent in used.items()}
    busy["machine"] = (after.machine - before.machine) / seconds
    busy["other"] = busy["machine"] - sum(v for k, v in busy.items() if k != "machine")
    return busy
