"""A PostgreSQL cluster of the test's own: initdb into a temporary folder as the `postgres`
user, served on 127.0.0.1 at a free port, stopped and started at will, removed at the end.
The machine's shared PostgreSQL (port 5432) is never touched."""

from __future__ import annotations

import contextlib
import glob
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise AssertionError(f"PostgreSQL's {name} is needed (Debian's postgresql package)")
    return found[-1]


def _as_postgres(*command: str) -> None:
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


@dataclass
class Cluster:
    """One running cluster: its folder, port and the URL of its `smartnode` database."""

    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/smartnode"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
            " -c fsync=off -c max_connections=100"
        )
        _as_postgres(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"),
                     "-o", options, "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        _as_postgres(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def log(self) -> str:
        path = self.folder / "log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def own_postgres() -> Iterator[Cluster]:
    """A fresh cluster with an empty `smartnode` database; stopped and deleted afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="smartnode-pg-"))
    shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, free_port())
    _as_postgres(_bin("initdb"), "-D", str(cluster.data), "-A", "trust", "-U", "postgres",
                 "--no-sync", "-E", "UTF8", "--locale", "C")  # fmt: skip
    cluster.start()
    try:
        _as_postgres(_bin("createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U",
                     "postgres", "smartnode")  # fmt: skip
        yield cluster
    finally:
        with contextlib.suppress(AssertionError):  # already stopped
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
