"""Local system users for the term: one per student and one for the instructor.

Each single-user server runs as its user (JupyterHub's ``LocalProcessSpawner`` switches to
it), so the file system keeps students apart: every home is ``0700``, and the instructor's
course copy (solutions, gradebook settings, submissions) lives in a ``0700`` folder too.
Passwords are checked by PAM, as for any login on the machine.
"""
from __future__ import annotations

import pwd
import secrets
import shutil
import subprocess
from pathlib import Path


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def ensure(name: str, home: Path, password: str) -> pwd.struct_passwd:
    """Create ``name`` with ``home`` (``0700``) unless it exists; set its password either way."""
    if not exists(name):
        home.parent.mkdir(parents=True, exist_ok=True)
        _run("useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash", "--user-group", name)
    account = pwd.getpwnam(name)
    Path(account.pw_dir).chmod(0o700)
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True, capture_output=True)
    return account


def remove(name: str) -> None:
    """Delete ``name`` and its home (a test's throwaway students; stop their servers first)."""
    if exists(name):
        _run("userdel", "--remove", "--force", name)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def as_user(name: str, command: list[str]) -> list[str]:
    """``command`` run as ``name`` (environment passed through; HOME, USER and SHELL become theirs)."""
    return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", name, "--", *command]


def _run(*args: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stderr.strip()}")
