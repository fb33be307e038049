"""The launcher's services: the gateway runs one encoder thread per request unless told otherwise."""
from pathlib import Path

from gateway.launcher import services
from gateway.settings import Settings


def gateway_env(monkeypatch, threads):
    if threads is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", threads)
    running = {s.name: s for s in services(Settings.from_env(), Path("model.tar.gz"), Path("endpoints.yml"))}
    return running["gateway"].env, running["rasa"].env


def test_the_gateway_encodes_each_request_on_one_thread(monkeypatch):
    gateway, rasa = gateway_env(monkeypatch, None)
    assert gateway == {"OMP_NUM_THREADS": "1"}
    assert rasa == {}  # Rasa serves one message at a time and keeps both cores for it


def test_an_explicit_thread_count_is_kept(monkeypatch):
    gateway, _ = gateway_env(monkeypatch, "2")
    assert gateway == {"OMP_NUM_THREADS": "2"}
