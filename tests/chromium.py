"""Debian's Chromium for the browser tests (Playwright's own download does not work offline):
where it is, how to launch it, and the rule that CI must have it while a laptop may skip."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_browser() -> None:
    """Skip without Chromium, with the reason, except under CI, where it must be installed."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail("CI is set but /usr/bin/chromium is missing: `make test` should have installed it")
    pytest.skip("no /usr/bin/chromium here (apt-get install chromium to run the browser tests)")
