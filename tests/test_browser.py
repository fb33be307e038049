"""The web widget and the console in a real browser, against the real stack: runs the node tests in
tests/browser (Debian's chromium driven by playwright-core, axe-core audits) with BASE_URL set to
the gateway started by the `stack` fixture. Installs nothing: `make test` runs `npm ci` in
tests/browser and installs chromium first."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from test_end_to_end import ADMIN_PASSWORD, stack  # noqa: F401

BROWSER_TESTS = ROOT / "tests" / "browser"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.parametrize("suite", ["widget.test.mjs", "console.test.mjs"])
def test_in_a_real_browser(stack, suite):  # noqa: F811
    assert shutil.which("node"), "node is missing"
    assert (BROWSER_TESTS / "node_modules" / "playwright-core").is_dir(), "run `npm ci` in tests/browser first"
    assert CHROMIUM.exists(), "chromium is missing: apt-get install -y chromium"
    result = subprocess.run(["node", "--test", "--test-concurrency=1", suite], cwd=BROWSER_TESTS,
                            env={**os.environ, "BASE_URL": stack["base"], "ADMIN_USERNAME": "admin",
                                 "ADMIN_PASSWORD": ADMIN_PASSWORD},
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"node --test exited {result.returncode}\n--- stdout ---\n{result.stdout[-20000:]}"
        f"\n--- stderr ---\n{result.stderr[-5000:]}")
