"""Test helper: an ASGI app served by uvicorn on a free loopback port."""
import contextlib
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI


@contextlib.contextmanager
def serve(app: FastAPI):
    """The app under uvicorn on a free port of 127.0.0.1, stopped on exit."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "gateway did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
