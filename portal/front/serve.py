"""`debtor-portal serve`: the built site on localhost, with the headers a real host would send."""

from __future__ import annotations

import contextlib
import functools
import urllib.parse
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from ..render.headers import HEADERS_FILE, security_headers


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        for name, value in security_headers().items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # keep the terminal for the URL
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A missing page gets the site's own 404.html, as a static host would send it."""
        page = Path(self.directory) / "404.html"
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_head(self) -> BinaryIO | BytesIO | None:
        """The host's configuration (`_headers`) is read by the host, not served, as Netlify and Cloudflare do."""
        if urllib.parse.urlsplit(self.path).path == f"/{HEADERS_FILE}":
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        return super().send_head()

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the browser hung up
            super().handle()


def make_server(directory: Path, port: int = 8000, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A server for `directory` on loopback only; port 0 picks a free one."""
    if not (Path(directory) / "index.html").is_file():
        raise FileNotFoundError(f"{directory} holds no built site: run 'debtor-portal build WORKBOOK' first.")
    handler = functools.partial(_Handler, directory=str(directory))
    return ThreadingHTTPServer((host, port), handler)
