"""A PostgreSQL server of the tests' own (§7: a team may keep its jobs in PostgreSQL): a fresh cluster in a temporary
folder, reached by its socket only, gone after the tests. `make test` installs Debian's server (`make postgres`)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_USER = "postgres"  # PostgreSQL refuses to run as root; Debian's package makes this user


def server_programs() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    path = Path(found[-1]) if found else Path(shutil.which("pg_ctl") or "")
    if not path.name:
        raise RuntimeError("No PostgreSQL server here: `make postgres` installs Debian's (make test does it first).")
    return path.parent


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    done = subprocess.run(_as_server_user(args), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr or done.stdout}")


@contextmanager
def postgres_server(port: int) -> Iterator[str]:
    """Yields the database URL of a new, empty server."""
    programs, folder = server_programs(), Path(tempfile.mkdtemp(prefix="workbench-pg-"))
    folder.chmod(0o777)  # the server's own user writes its files and socket here
    data = folder / "data"
    _run([str(programs / "initdb"), "-D", str(data), "-U", "workbench", "-A", "trust", "-E", "UTF8", "--no-sync"])
    _run([str(programs / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "start",
          "-o", f"-k {folder} -p {port} -c listen_addresses='' -c fsync=off"])
    try:
        yield f"postgresql+psycopg://workbench@/postgres?host={folder}&port={port}"
    finally:
        _run([str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(folder, ignore_errors=True)
