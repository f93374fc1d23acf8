"""A term on one machine: JupyterHub, nbgrader's exchange and a PostgreSQL gradebook.

    python -m deploy up      # set up (once) and start; prints the address and the logins
    python -m deploy down    # stop the hub, every server and the database (nothing is deleted)

``make hub`` runs ``up`` (deploy/__main__.py). Run as root (it makes system users and starts PostgreSQL as
``postgres``). Everything of the term lives in one folder (default ``/srv/why-nn``):

    exchange/       nbgrader's exchange, course id why-nn (0777, as nbgrader wants it)
    course/         the instructor's copy of the course: nbgrader's root (0700, the instructor's)
    config/         nbgrader_config.py for every server: the exchange and the course id
    postgres/       the gradebook's cluster (the postgres user's, 0700)
    hub/            JupyterHub's database, cookie secret, log, and term.json (ports, passwords; 0700)

Homes are ``/home/<user>`` (``--homes``); the students' environment is built from the
student bundle into ``/var/cache/why-nn`` (deploy/environments.py).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from deploy import accounts, environments, postgres
from grading import course

CONFIG = Path(__file__).resolve().parent / "jupyterhub_config.py"
EXCHANGE_CONFIG = """c = get_config()  # noqa: F821  (written by deploy/term.py)
c.CourseDirectory.course_id = "why-nn"
c.Exchange.root = {root!r}
"""


@dataclass
class Term:
    state: Path
    students: list[str]
    instructor: str = "instructor"
    port: int = 8000
    ip: str = "127.0.0.1"
    homes: Path = Path("/home")
    expose_app: bool = False  # window.jupyterapp in the page, for the browser test
    through: str | None = None  # the week's student bundle: `course bundle --through`
    secrets: dict = field(default_factory=dict)  # ports and passwords, kept in hub/term.json
    instructor_bin: Path | None = None  # the instructor's environment, found by set_up

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"

    @property
    def course(self) -> Path:
        return self.state / "course"

    @property
    def exchange(self) -> Path:
        return self.state / "exchange"

    @property
    def shared_config(self) -> Path:
        return self.state / "config"

    @property
    def hub_folder(self) -> Path:
        return self.state / "hub"

    @property
    def instructor_tmp(self) -> Path:
        return self.homes / self.instructor / "tmp"

    @property
    def db_url(self) -> str:
        return postgres.url(self.secrets["db_password"], self.secrets["db_port"])

    def password(self, user: str) -> str:
        return self.secrets["passwords"][user]


def missing() -> list[str]:
    """What this machine lacks for a term (empty when it can run one)."""
    reasons = []
    if os.geteuid() != 0:
        reasons.append("not root (the hub makes system users and switches to them)")
    for program, package in (("runuser", "util-linux"), ("npm", "nodejs npm"), ("useradd", "passwd")):
        if not shutil.which(program):
            reasons.append(f"no {program} (apt-get install {package})")
    if environments.uv() is None:
        reasons.append("no uv or jupyterhub (pip install -e '.[hub]')")
    if postgres.missing():
        reasons.append(postgres.missing())
    return reasons


def set_up(term: Term, log=print) -> None:
    """Everything the term needs, made once and kept: users, environments, folders, database."""
    term.state.mkdir(parents=True, exist_ok=True)
    term.state.chmod(0o711)
    term.hub_folder.mkdir(mode=0o700, exist_ok=True)
    saved = term.hub_folder / "term.json"
    if saved.exists():
        term.secrets = json.loads(saved.read_text())
    else:
        users = [term.instructor, *term.students]
        term.secrets = {"passwords": {user: accounts.new_password() for user in users},
                        "db_password": accounts.new_password(), "db_port": free_port(),
                        "hub_port": free_port(), "proxy_api_port": free_port()}
        saved.write_text(json.dumps(term.secrets, indent=1))
        saved.chmod(0o600)
    # The environments take longest (minutes when first built): build them side by side, the rest meanwhile.
    with ThreadPoolExecutor() as pool:
        installing_proxy = pool.submit(environments.proxy, log)
        building_students = pool.submit(_student_environment, term, log)
        building_instructors = pool.submit(environments.instructor_environment, log)
        _accounts_and_folders(term, log)
    term.instructor_bin = building_instructors.result()
    settings = {"ip": term.ip, "port": term.port, "hub_port": term.secrets["hub_port"],
                "proxy_api_port": term.secrets["proxy_api_port"], "proxy": str(installing_proxy.result()),
                "hub_folder": str(term.hub_folder), "students": term.students, "instructor": term.instructor,
                "course": str(term.course), "expose_app": term.expose_app,
                "student_variables": server_variables(term, building_students.result()),
                "instructor_variables": instructor_variables(term)}
    (term.hub_folder / "settings.json").write_text(json.dumps(settings, indent=1))


def _student_environment(term: Term, log) -> Path:
    return environments.student_environment(environments.build_bundle(term.state / "bundle", term.through, log), log)


def _accounts_and_folders(term: Term, log) -> None:
    """The system users, the course copy, the exchange and the gradebook's database."""
    for user in [term.instructor, *term.students]:
        accounts.ensure(user, term.homes / user, term.password(user))
    # The grader's scratch folders: not /tmp's shared ones, which root or another user may own.
    subprocess.run(accounts.as_user(term.instructor, ["mkdir", "-p", str(term.instructor_tmp)]), check=True)
    if not term.course.exists():
        course.copy_course(term.course)
        subprocess.run(["chown", "-R", f"{term.instructor}:", str(term.course)], check=True)
        term.course.chmod(0o700)
    term.exchange.mkdir(exist_ok=True)
    term.exchange.chmod(0o777)
    term.shared_config.mkdir(exist_ok=True)
    term.shared_config.chmod(0o755)
    (term.shared_config / "nbgrader_config.py").write_text(EXCHANGE_CONFIG.format(root=str(term.exchange)))
    if not (term.state / "postgres").exists():
        log("initialising the gradebook's PostgreSQL cluster")
        postgres.initialise(term.state / "postgres", term.secrets["db_port"], term.secrets["db_password"])


def start(term: Term, timeout: float = 60) -> None:
    """Start the database and the hub (in the background); return when the hub answers."""
    with socket.socket() as probe:
        if probe.connect_ex((term.ip, term.port)) == 0:
            raise RuntimeError(f"something already listens on {term.url}: stop it or choose another --port")
    postgres.start(term.state / "postgres", term.secrets["db_port"])
    log = open(term.hub_folder / "jupyterhub.log", "a")
    env = {**os.environ, "WHY_NN_HUB_SETTINGS": str(term.hub_folder / "settings.json"),
           "PATH": os.pathsep.join([str(environments.COURSE_BIN), os.environ.get("PATH", "")])}
    hub = subprocess.Popen([str(environments.COURSE_BIN / "jupyterhub"), "-f", str(CONFIG)], cwd=term.hub_folder,
                           env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (term.hub_folder / "hub.pid").write_text(str(hub.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.poll() is not None:
            raise RuntimeError(f"JupyterHub exited:\n{(term.hub_folder / 'jupyterhub.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{term.url}/hub/api/", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"JupyterHub did not answer within {timeout} s")


def stop(term: Term, database: bool = True) -> None:
    """Stop the hub (which stops the proxy and every server) and, unless told not to, the database."""
    pid_file = term.hub_folder / "hub.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        _wait_for_exit(pid, timeout=30)
        pid_file.unlink()
    if database:
        postgres.stop(term.state / "postgres")


def _wait_for_exit(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:  # started by this process: reap it
                return
        except ChildProcessError:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.1)
    raise RuntimeError(f"JupyterHub (pid {pid}) did not stop within {timeout} s")


def as_instructor(term: Term, *command: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``command`` as the instructor in the course copy, as their server's terminal would."""
    result = subprocess.run(accounts.as_user(term.instructor, list(command)), cwd=term.course,
                            env=instructor_variables(term), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def server_variables(term: Term, bin_dir: Path) -> dict[str, str]:
    """A server's environment variables: its Python environment, and the exchange's nbgrader_config.py."""
    return {"PATH": os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"]),
            "VIRTUAL_ENV": str(bin_dir.parent), "LANG": "C.UTF-8", "JUPYTER_CONFIG_PATH": str(term.shared_config)}


def instructor_variables(term: Term) -> dict[str, str]:
    """The instructor's server's (and so its terminal's): the gradebook's URL, and the course's own
    nbgrader_config.py. The server starts in the instructor's home, where nbgrader would not find
    that file: formgrader would take the home for the course root, outside the server's root
    (the course copy), and answer every page with its error."""
    variables = server_variables(term, term.instructor_bin)
    return {**variables, "COURSE_DB_URL": term.db_url, "TMPDIR": str(term.instructor_tmp),
            "JUPYTER_CONFIG_PATH": os.pathsep.join([variables["JUPYTER_CONFIG_PATH"], str(term.course)])}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
