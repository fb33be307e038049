"""Starts the action server, the Rasa server and the gateway; stops them all together.

    python -m gateway.launcher --model bot/models/<hash>.tar.gz

Each service's output is printed with its name in front. The launcher waits until every service
answers, prints the chat URL, and then watches them: Ctrl-C stops everything (exit 0); a service
that dies stops the others and the launcher exits 1, naming it.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from gateway import rasa_endpoints
from gateway.settings import ROOT, Settings

RASA_BIN = ROOT / ".venv-rasa" / "bin"
READY_TIMEOUT = 300


@dataclasses.dataclass
class Service:
    name: str
    command: list[str]
    cwd: Path
    ready_url: str
    env: dict = dataclasses.field(default_factory=dict)  # this service's own variables
    process: subprocess.Popen | None = None

    def start(self, env: dict) -> None:
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env={**env, **self.env}, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, errors="replace",
                                        start_new_session=True)
        threading.Thread(target=self._relay, daemon=True).start()

    def _relay(self) -> None:
        for line in self.process.stdout:
            sys.stdout.write(f"{self.name:8s}| {line}")
            sys.stdout.flush()

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.ready_url, timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def exit_code(self) -> int | None:
        return self.process.poll() if self.process else None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def wait_stopped(self, seconds: float) -> None:
        if not self.process:
            return
        try:
            self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def services(settings: Settings, model: Path, endpoints: Path) -> list[Service]:
    rasa_port = settings.rasa_url.rsplit(":", 1)[1]
    actions_port = settings.actions_url.rsplit(":", 1)[1]
    return [
        Service("actions", [str(RASA_BIN / "rasa"), "run", "actions", "--port", actions_port, "--actions", "actions"],
                ROOT / "bot", f"{settings.actions_url}/health"),
        # `rasa`, with action responses validated by a validator built once (bot/rasa_server.py).
        Service("rasa", [str(RASA_BIN / "python"), "-m", "rasa_server", "run", "--enable-api", "--interface", "127.0.0.1",
                         "--port", rasa_port, "--model", str(model.resolve()), "--endpoints", str(endpoints),
                         "--credentials", "credentials.yml"],
                ROOT / "bot", f"{settings.rasa_url}/status"),
        # One encoder thread per request: concurrent requests already use the cores, and threads
        # split within each request would contend with them (README, "Retrieval").
        Service("gateway", [sys.executable, "-m", "uvicorn", "gateway.app:app", "--host", settings.host,
                            "--port", str(settings.port), "--no-access-log"],
                ROOT, f"http://127.0.0.1:{settings.port}/health",
                {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}),
    ]


def stop_all(running: list[Service]) -> None:
    for service in running:
        service.stop()
    for service in running:
        service.wait_stopped(15)


def watch(running: list[Service], chat_url: str) -> int:
    """Waits for readiness, then for a service to die; returns the exit status."""
    deadline = time.monotonic() + READY_TIMEOUT
    announced = False
    while True:
        for service in running:
            code = service.exit_code()
            if code is not None:
                print(f"\n!! {service.name} stopped unexpectedly (exit code {code}); its last lines are above. "
                      f"Stopping the other services.", flush=True)
                return 1
        if not announced:
            waiting = [s.name for s in running if not s.ready()]
            if not waiting:
                print(f"\n==> Everything is up. Chat in your browser: {chat_url}\n"
                      f"    (Ctrl-C stops all services)\n", flush=True)
                announced = True
            elif time.monotonic() > deadline:
                print(f"\n!! {', '.join(waiting)} did not become ready within {READY_TIMEOUT} s; stopping.",
                      flush=True)
                return 1
        time.sleep(1)


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="trained Rasa model (.tar.gz)")
    args = parser.parse_args()
    if not args.model.is_file():
        print(f"No Rasa model at {args.model}. Run `make run`, which trains it.", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    endpoints = rasa_endpoints.write(settings.data_dir / "endpoints.yml", dict(os.environ))
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'bot'}{os.pathsep}{ROOT}", "SANIC_HOST": "127.0.0.1",
           "GATEWAY_URL": f"http://127.0.0.1:{settings.port}", "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
    running = services(settings, args.model, endpoints)
    print("==> Starting the action server, the Rasa server (loading the model takes a moment) and the gateway",
          flush=True)
    for service in running:
        service.start(env)
    # Explicit handlers: a launcher started in the background inherits SIGINT as ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        status = watch(running, f"http://127.0.0.1:{settings.port}/")
    except KeyboardInterrupt:
        print("\n==> Stopping all services", flush=True)
        status = 0
    stop_all(running)
    return status


if __name__ == "__main__":
    sys.exit(main())
