"""The term's gradebook server: Debian's PostgreSQL, a cluster of its own in the term's folder.

The cluster runs as the ``postgres`` system user (PostgreSQL refuses root), listens on
127.0.0.1 only and takes passwords there (``scram-sha-256``): students share the machine, so
the gradebook must not trust a local connection. Its Unix socket lives in a folder only
``postgres`` can open; the set-up uses it, with peer trust, to create the ``grader`` role.
"""
from __future__ import annotations

import glob
import os
import pwd
import subprocess
from pathlib import Path

from deploy import accounts

SERVICE_USER = "postgres"
DATABASE = "why_nn"
ROLE = "grader"


def bindir() -> Path | None:
    """Where Debian's PostgreSQL programs are (the newest version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def missing() -> str | None:
    """Why this machine cannot run the gradebook server, or None."""
    if bindir() is None:
        return "PostgreSQL is not installed (apt-get install postgresql)"
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        return f"there is no {SERVICE_USER!r} system user (Debian's postgresql package makes it)"
    return None


def url(password: str, port: int) -> str:
    """The gradebook's URL, bare ``postgresql://`` as an instructor would write it."""
    return f"postgresql://{ROLE}:{password}@127.0.0.1:{port}/{DATABASE}"


def _run(*args: str, cwd: Path) -> str:
    result = subprocess.run(accounts.as_user(SERVICE_USER, list(args)), cwd=cwd,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def initialise(folder: Path, port: int, password: str) -> None:
    """A new cluster in ``folder`` with the ``grader`` role owning the ``why_nn`` database."""
    service = pwd.getpwnam(SERVICE_USER)
    folder.mkdir(mode=0o700)
    os.chown(folder, service.pw_uid, service.pw_gid)
    programs = bindir()
    _run(str(programs / "initdb"), "-D", str(folder / "data"), "-U", SERVICE_USER, "-E", "UTF8",
         "--auth-local=peer", "--auth-host=scram-sha-256", cwd=folder)
    start(folder, port)
    quoted = password.replace("'", "''")
    _run(str(programs / "psql"), "-h", str(folder), "-p", str(port), "-U", SERVICE_USER, "-d", "postgres",
         "-v", "ON_ERROR_STOP=1", "-c", f"CREATE ROLE {ROLE} LOGIN PASSWORD '{quoted}'",
         "-c", f"CREATE DATABASE {DATABASE} OWNER {ROLE}", cwd=folder)


def start(folder: Path, port: int) -> None:
    """Start the cluster in ``folder`` (waits until it takes connections); a running one is left alone."""
    if running(folder):
        return
    _run(str(bindir() / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w", "-t", "60",
         "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start", cwd=folder)


def stop(folder: Path) -> None:
    """Stop the cluster cleanly (committed grades are on disk either way)."""
    if running(folder):
        _run(str(bindir() / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "-w", "stop", cwd=folder)


def running(folder: Path) -> bool:
    data = folder / "data"
    if not data.is_dir():
        return False
    result = subprocess.run(accounts.as_user(SERVICE_USER, [str(bindir() / "pg_ctl"), "-D", str(data), "status"]),
                            capture_output=True, text=True, timeout=30)
    return result.returncode == 0

