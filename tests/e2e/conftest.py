"""End-to-end fixtures: build the site once, serve it, drive it with real Chromium through Playwright.

Nothing is mocked: the page loads the real Pyodide runtime, NumPy's Pyodide wheel and pynet in its worker.

- Chromium: $PYNET_CHROMIUM, then /usr/bin/chromium, then Playwright's own build if installed; else skip.
- The site is built once per session with `python build.py --out <tmp>`; if NumPy cannot be obtained the
  NumPy-dependent tests are skipped with build.py's message as the reason.
- `App` wraps a page with the few actions the tests need (wait for a status, train, draw, read bars) and
  records every request, console error and page error so tests can assert on them.
"""
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

from e2e_support import CHROMIUM_FLAGS, REPO, App, numpy_missing, run_build

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - environment without the test extra
    sync_playwright = None


# ---------------------------------------------------------------- build + serve

@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    if not (REPO / "build.py").is_file():
        pytest.skip("build.py is missing")
    out = tmp_path_factory.mktemp("site")
    result = run_build(out)
    if result.returncode != 0:
        if numpy_missing(result):
            pytest.skip("NumPy for Pyodide could not be obtained, so the page cannot run: "
                        + (result.stderr.strip() or result.stdout.strip()).splitlines()[0])
        pytest.fail(f"python build.py failed:\n{result.stdout}\n{result.stderr}")
    return out


class Server:
    def __init__(self, root):
        sys.path.insert(0, str(REPO))
        import build  # noqa: WPS433 - build.py sits at the repository root

        self.httpd = build.make_server(root, 0)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def site_url(built_site):
    server = Server(built_site)
    yield server.url
    server.close()


@pytest.fixture(scope="session")
def serve_site():
    """Serve any built directory for the rest of the session: serve_site(path) -> base URL."""
    servers = []

    def serve(root):
        server = Server(root)
        servers.append(server)
        return server.url

    yield serve
    for s in servers:
        s.close()


# ---------------------------------------------------------------- browser

def find_chromium():
    candidates = [os.environ.get("PYNET_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                  shutil.which("chromium-browser")]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    return None


@pytest.fixture(scope="session")
def browser():
    if sync_playwright is None:
        pytest.skip("the playwright package is not installed (pip install playwright)")
    executable = find_chromium()
    with sync_playwright() as p:
        if executable is None:
            try:  # Playwright's own Chromium, if `playwright install` was ever run
                if not Path(p.chromium.executable_path).is_file():
                    raise FileNotFoundError(p.chromium.executable_path)
            except Exception as e:  # noqa: BLE001
                pytest.skip(f"no Chromium found (set PYNET_CHROMIUM, or install /usr/bin/chromium): {e}")
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def app_factory(browser):
    """app_factory(url=None) -> an opened App; closed after the test."""
    apps = []

    def make(url, wait_ready=True):
        app = App(browser, url)
        apps.append(app)
        return app.open(wait_ready)

    yield make
    for a in apps:
        a.close()
