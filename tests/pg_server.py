"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary cluster, a free port.

PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` system user and every
server command goes through `runuser -u postgres`. Missing binaries fail the tests (never skip them).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "PostgreSQL server binaries are missing: run deploy/install.sh --tests (it installs `postgresql`)"


def find_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PgServer:
    bin_dir: Path
    root: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def url(self, user: str = "postgres", database: str = "postgres") -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run([str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                                 "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                                capture_output=True, text=True, check=True)
        return result.stdout

    def dump(self, database: str, target: Path) -> Path:
        subprocess.run([str(self.bin_dir / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "-f", str(target), database], check=True, capture_output=True)
        return target

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate",
                                     "stop"]), capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PgServer:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(INSTALL_HINT)
    root = Path(tempfile.mkdtemp(prefix="referral-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    port = free_port()
    server = PgServer(bin_dir, root, port)
    subprocess.run(_as_postgres([str(bin_dir / "initdb"), "-D", str(server.data_dir), "-A", "trust", "-U",
                                 "postgres", "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c log_statement=all -c fsync=on"
    subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-o", options, "-l",
                                 str(server.log_file), "-w", "start"]), check=True, capture_output=True)
    return server
