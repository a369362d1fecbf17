"""Real HTTP servers on loopback for tests: `podcast serve`'s server, or any stdlib server."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

from podcast.publishing.serve import make_server


@contextlib.contextmanager
def running(server: ThreadingHTTPServer) -> Iterator[str]:
    """Run ``server`` in a thread; yield its base URL; shut it down afterwards."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def serving(root: Path, published_base_url: str) -> contextlib.AbstractContextManager[str]:
    """`podcast serve` on a free loopback port for the publishing folder ``root``."""
    return running(make_server(root, host="127.0.0.1", port=0, published_base_url=published_base_url))
