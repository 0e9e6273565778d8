"""The ribbon's Preview: the built site served on loopback by a process of its own, so that Excel is free.

    python -m portal.front.preview SITE_DIR URL_FILE [MINUTES]

Writes the URL and its process id to URL_FILE once it listens, and stops after MINUTES (default 120).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from .serve import make_server


def main(argv: list[str]) -> int:
    site, url_file = Path(argv[0]), Path(argv[1])
    minutes = float(argv[2]) if len(argv) > 2 else 120.0
    server = make_server(site, 0)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    temporary = url_file.with_name(url_file.name + ".new")
    temporary.write_text(f"{url}\n{os.getpid()}\n")
    temporary.replace(url_file)
    stop = threading.Timer(minutes * 60, server.shutdown)
    stop.daemon = True
    stop.start()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
