"""`debtor-portal serve`: the built site on localhost, with the headers a real host would send."""

from __future__ import annotations

import contextlib
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..render.site import security_headers


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        for name, value in security_headers().items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # keep the terminal for the URL
        pass

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the browser hung up
            super().handle()


def make_server(directory: Path, port: int = 8000, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A server for `directory` on loopback only; port 0 picks a free one."""
    if not (Path(directory) / "index.html").is_file():
        raise FileNotFoundError(f"{directory} holds no built site: run 'debtor-portal build WORKBOOK' first.")
    handler = functools.partial(_Handler, directory=str(directory))
    return ThreadingHTTPServer((host, port), handler)
