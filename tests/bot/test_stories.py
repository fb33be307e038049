"""End-to-end test stories through NLU and the dialogue policy (`rasa test`), with the trained model."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_stories_pass(tmp_path):
    model = os.environ.get("MODEL") or str(sorted((ROOT / "bot" / "models").glob("*.tar.gz"))[-1])
    rasa = Path(sys.executable).parent / "rasa"
    result = subprocess.run(
        [str(rasa), "test", "core", "--model", str(Path(model).resolve()), "--stories", str(Path(__file__).parent / "test_stories.yml"),
         "--out", str(tmp_path), "--fail-on-prediction-errors"],
        cwd=ROOT / "bot", env={**os.environ, "PYTHONPATH": f"{ROOT / 'bot'}:{ROOT}"}, capture_output=True, text=True,
        timeout=600)
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + details
