"""Test helpers: an ASGI app served by uvicorn on a free loopback port; a route that plays the
handoff inbox sending a console reply through a channel."""
import contextlib
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI, Request, Response


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


def add_inbox_route(app: FastAPI, channel) -> None:
    """POST /inbox/{user} with the text as body: `channel.deliver`, 502 when the platform refuses."""
    @app.post("/inbox/{user}")
    async def deliver(user: str, request: Request):
        try:
            await channel.deliver(user, (await request.body()).decode())
        except Exception as exc:
            return Response(str(exc), status_code=502)
