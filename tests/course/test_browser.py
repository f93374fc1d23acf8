"""The course as a student meets it: JupyterLab in headless Chromium, a notebook run top to
bottom, a slider moved, the plot redrawn, no error anywhere.

Needs Debian's /usr/bin/chromium and the playwright Python package (no browser download).
Locally it skips without Chromium; under CI it must run, so a missing browser fails.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS, require_browser

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

# (assignment, label of the slider to move): the widget every notebook must keep alive.
LIVE_SLIDERS = [("01_why_sigmoid", "steepness c"), ("02_cross_entropy_vs_mse", "starting weight w"),
                ("03_softmax", "temperature T"), ("04_regularisation", "L2 strength λ"),
                ("05_init_variance", "weight scale"), ("06_optimisers", "learning rates ×"),
                ("07_vanishing_gradients", "hidden layers"), ("08_universal_approximation", "bumps N"),
                ("09_batch_norm", "learning rate η"), ("10_tuning", "trials")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free localhost port, serving a copy of the solution notebooks."""
    require_browser()
    root = tmp_path_factory.mktemp("lab")
    for assignment, _ in LIVE_SLIDERS:
        shutil.copy(ROOT / "solutions" / assignment / f"{assignment}.ipynb", root)
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(root / ".runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings")}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
               "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(root / "server.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(f"{url}/api/status?token={token}", server, root / "server.log")
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _wait_for_server(status_url: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(status_url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


# Run-all sent while the kernel is still starting is silently dropped: wait until it is idle.
WAIT_FOR_KERNEL = """async (timeoutMs) => {
    const panel = window.jupyterapp.shell.currentWidget;
    await panel.context.ready;
    await panel.sessionContext.ready;
    const start = Date.now();
    while (panel.sessionContext.session?.kernel?.status !== 'idle') {
        if (Date.now() - start > timeoutMs) throw new Error('kernel never became idle');
        await new Promise(resolve => setTimeout(resolve, 200));
    }
}"""


RUN_ALL = """async (timeoutMs) => {
    const timeout = new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`run-all did not finish within ${timeoutMs} ms`)), timeoutMs));
    await Promise.race([window.jupyterapp.commands.execute('notebook:run-all-cells'), timeout]);
}"""

# Found again on every poll (by the slider's label), since a redraw may replace the <img> element.
PLOT_CHANGED = """([label, before]) => {
    const cell = [...document.querySelectorAll('.jp-Cell')].find(
        c => [...c.querySelectorAll('.widget-label')].some(l => l.textContent === label));
    const img = cell && cell.querySelector('.jp-OutputArea-output img');
    return Boolean(img) && img.src !== before;
}"""


@pytest.mark.parametrize("assignment, slider_label", LIVE_SLIDERS)
def test_notebook_runs_and_its_slider_redraws_the_plot(lab, browser, assignment, slider_label):
    url, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # ?reset: start from an empty workspace, not with the notebooks of earlier tests open again.
    page.goto(f"{url}/lab/tree/{assignment}.ipynb?reset&token={token}")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function("(path) => window.jupyterapp.shell.currentWidget?.context?.path === path",
                           arg=f"{assignment}.ipynb", timeout=60_000)
    page.evaluate(WAIT_FOR_KERNEL, 60_000)
    # The command's promise settles when the last cell has run (or fails the test after 2 minutes).
    page.evaluate(RUN_ALL, 120_000)
    page.evaluate(WAIT_FOR_KERNEL, 60_000)
    cell = page.locator(".jp-Cell", has=page.locator(f".widget-label:text-is('{slider_label}')"))
    handle = cell.locator(f".widget-hslider:has(.widget-label:text-is('{slider_label}')) .noUi-handle")
    plot = cell.locator(".jp-OutputArea-output img")  # the widget's own cell: other cells' plots don't count
    cell.scroll_into_view_if_needed()
    plot.first.wait_for(state="attached", timeout=30_000)  # outputs render asynchronously
    assert plot.count() == 1, f"expected one plot under the widget, found {plot.count()}"
    before = plot.get_attribute("src")

    handle.scroll_into_view_if_needed()
    handle.focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(PLOT_CHANGED, arg=[slider_label, before], timeout=15_000)
    page.wait_for_timeout(1500)  # let the queued key presses' redraws finish before the screenshot
    page.evaluate(WAIT_FOR_KERNEL, 30_000)
    plot.scroll_into_view_if_needed()  # the screenshot shows the redrawn plot itself
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{assignment}-after-slider.png"))

    error_outputs = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert error_outputs.count() == 0, "error output: " + " | ".join(error_outputs.all_inner_texts())[:2000]
    assert not errors, f"JavaScript errors in the page: {errors}"
    page.close()
