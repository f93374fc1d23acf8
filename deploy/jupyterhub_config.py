"""JupyterHub for a term on one machine: ``make hub`` and tests/deploy/test_term.py start it
through ``deploy/term.py``, which writes the settings file this reads (ports, users, folders).

* PAM checks each user's own password (``deploy/accounts.py`` makes the system users): a
  shared password would let any student log in as any other.
* ``LocalProcessSpawner`` starts each server as its own Unix user (the hub runs as root), so
  file permissions keep students out of each other's homes and out of the instructor's
  course copy. ``SimpleLocalProcessSpawner`` would run everyone as the hub's user.
* Students run the student bundle's environment; the instructor runs this checkout's
  environment in the course copy (formgrader, ``course``) with the gradebook's URL, which only
  that server is given (``deploy/term.py``'s ``server_variables`` and ``instructor_variables``).
"""
import json
import os

c = get_config()  # noqa: F821  (injected by JupyterHub's config loader)

with open(os.environ["WHY_NN_HUB_SETTINGS"]) as file:
    settings = json.load(file)

c.JupyterHub.bind_url = f"http://{settings['ip']}:{settings['port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings['hub_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [settings["proxy"]]
c.JupyterHub.db_url = "sqlite:///" + os.path.join(settings["hub_folder"], "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(settings["hub_folder"], "cookie_secret")

c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False  # no login session manager in a container
c.Authenticator.allowed_users = set(settings["students"]) | {settings["instructor"]}
c.Authenticator.admin_users = {settings["instructor"]}

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 60
c.Spawner.args = ["--LabApp.expose_app_in_browser=True"] if settings["expose_app"] else []


def run_the_right_environment(spawner):
    """Students: the bundle's environment in their home. The instructor: the course's in the course copy."""
    instructor = spawner.user.name == settings["instructor"]
    spawner.environment = dict(settings["instructor_variables" if instructor else "student_variables"])
    spawner.cmd = [os.path.join(spawner.environment["VIRTUAL_ENV"], "bin", "jupyterhub-singleuser")]
    if instructor:
        spawner.notebook_dir = settings["course"]


c.Spawner.pre_spawn_hook = run_the_right_environment
