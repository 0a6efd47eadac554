"""The development server (`python build.py serve`): the built site with the headers the page wants.

- Cross-origin isolation (COOP/COEP, and CORP on every file), so the page gets SharedArrayBuffer and
  Pause/Stop reach Python at once through Pyodide's interrupt buffer.
- A Content-Security-Policy header on every response: a <meta> policy governs only the page, a header also
  governs its workers (the worker that runs Python, the service worker), whose policy comes with their
  script. The policy is written once, in web/index.html's <meta> tag (static hosts that cannot send headers
  get that); the header adds what a <meta> tag cannot carry, and scripts (which may be a worker's) also
  allow WebAssembly compilation and blob: workers, which Pyodide and XNNPACK's threads need in the worker
  and the page itself does not.
- Revalidation (ETag) for every file: names do not change with contents (a compiled archive keeps its
  name, a new Pyodide ships the same file names), and the service worker serves repeat visits anyway.
- No hidden files (the build stamp), however the path is spelled, and no directory listings.
"""
from __future__ import annotations

import functools
import html.parser
import http.server
import os
import sys
import urllib.parse
from pathlib import Path

from .common import BuildError, log

HEADER_ONLY_POLICY = "frame-ancestors 'none'"  # the page is never framed: no clickjacking
# What a script's policy (it may be a worker's) adds to the page's: compiling WebAssembly, and nothing else
# that eval would allow (Pyodide and XNNPACK); and blob: workers running blob: scripts, which is how the
# threaded XNNPACK build starts its pool's threads (web/js/xnnpack-matmul.js). A blob: URL is made by
# this origin's own code, so neither opens the page to another origin.
WORKER_ADDITIONS = {"script-src": "'wasm-unsafe-eval' blob:", "worker-src": "blob:"}


class _MetaPolicy(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.policy = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
            self.policy = attrs.get("content")


def page_policy(index_html):
    """The policy of the page's <meta http-equiv="Content-Security-Policy">, or None."""
    parser = _MetaPolicy()
    parser.feed(Path(index_html).read_text())
    return parser.policy


def header_policies(index_html):
    """(for the page and other files, for scripts) from the page's policy, or (None, None) without one."""
    policy = page_policy(index_html)
    if not policy:
        return None, None
    directives = [d.strip() for d in policy.split(";") if d.strip()] + [HEADER_ONLY_POLICY]
    scripts = [f"{d} {WORKER_ADDITIONS[d.split()[0]]}" if d.split()[0] in WORKER_ADDITIONS else d
               for d in directives]
    return "; ".join(directives), "; ".join(scripts)


def url_path(request_path):
    """The path of a request as the file system sees it: /%2ebuild-stamp.json is /.build-stamp.json."""
    return urllib.parse.unquote(urllib.parse.urlsplit(request_path).path)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the headers a cross-origin-isolated Pyodide page needs."""

    protocol_version = "HTTP/1.1"  # keep-alive: a page load is ~15 requests
    policy = script_policy = None  # Content-Security-Policy headers (make_server sets them)
    SCRIPTS = (".js", ".mjs")

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
        ".whl": "application/octet-stream", ".bin": "application/octet-stream", ".zip": "application/zip",
        ".json": "application/json", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml",
    }

    def send_head(self):
        self._etag = None
        path = url_path(self.path)
        if any(part.startswith(".") for part in path.split("/")):
            self.send_error(404, "Not found")  # .build-stamp.json and other dotfiles are not the site's
            return None
        is_folder = path.endswith("/")
        path = self.translate_path(self.path)
        if os.path.isdir(path) and is_folder:
            path = os.path.join(path, "index.html")
        if os.path.isfile(path):
            st = os.stat(path)
            self._etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
            if self._etag in self.headers.get("If-None-Match", ""):
                self.send_response(304)
                self.end_headers()
                return None
        return super().send_head()

    def list_directory(self, path):
        self.send_error(404, "Not found")  # no directory listings

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        policy = self.script_policy if url_path(self.path).endswith(self.SCRIPTS) else self.policy
        if policy:
            self.send_header("Content-Security-Policy", policy)
        if getattr(self, "_etag", None):
            self.send_header("ETag", self._etag)
            self.send_header("Cache-Control", "no-cache")
        else:
            self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_request(self, code="-", size="-"):
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)  # only problems; a page load is ~15 requests


class SiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a browser closing a connection is no error
            super().handle_error(request, client_address)


def make_server(root, port=0, host="127.0.0.1"):
    """A ThreadingHTTPServer for the built site; port 0 picks a free one (see server.server_address)."""
    root = Path(root).resolve()
    if not (root / "index.html").is_file():
        raise BuildError(f"{root} has no index.html; build the site first (`python build.py`)")
    policy, script_policy = header_policies(root / "index.html")
    handler = type("Handler", (SiteHandler,), {"policy": policy, "script_policy": script_policy})
    return SiteServer((host, port), functools.partial(handler, directory=str(root)))


def serve(out, port):
    server = make_server(out, port)
    log(f"Serving pynet at http://127.0.0.1:{server.server_address[1]}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log("stopped")
    finally:
        server.server_close()
