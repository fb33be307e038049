"""Intent classification on a held-out split of the NLU data, by writing style.

    .venv-rasa/bin/python -m bench.nlu_bench      (from the repository root; trains an NLU-only model)

A fifth of each intent's examples (seeded) is held out, the NLU pipeline is trained on the rest
with `rasa train nlu`, and `rasa test nlu` predicts the held-out ones. Macro-F1 is reported for all
examples and separately for accented, accent-free and teencode ones. Results: bench/results/nlu.json.
"""
from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml

from retrieval.normalize import TEENCODE, fold

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")


def style(text: str) -> str:
    words = re.findall(r"\w+", text.lower())
    if any(fold(w) in TEENCODE for w in words):
        return "teencode"
    return "accented" if fold(text) != text else "accent_free"


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    labels = {gold for gold, _ in pairs}
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in pairs)
        fp = sum(g != label and p == label for g, p in pairs)
        fn = sum(g == label and p != label for g, p in pairs)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return round(sum(scores) / len(scores), 4) if scores else 0.0


def main() -> int:
    data = yaml.safe_load((ROOT / "nlu_data" / "nlu.yml").read_text(encoding="utf-8"))
    rng = random.Random(13)
    train, test = defaultdict(list), []
    for block in data["nlu"]:
        examples = [line[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")]
        rng.shuffle(examples)
        cut = max(1, len(examples) // 5)
        test += [(block["intent"], e) for e in examples[:cut]]
        train[block["intent"]] += examples[cut:]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        as_yaml = lambda groups: yaml.safe_dump({"version": "3.1", "nlu": [
            {"intent": i, "examples": "".join(f"- {e}\n" for e in ex)} for i, ex in groups.items()]}, allow_unicode=True)
        (tmp / "train.yml").write_text(as_yaml(train), encoding="utf-8")
        grouped = defaultdict(list)
        for intent, example in test:
            grouped[intent].append(example)
        (tmp / "test.yml").write_text(as_yaml(grouped), encoding="utf-8")
        env = {"PYTHONPATH": f"{ROOT / 'bot'}:{ROOT}", "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
               "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
        subprocess.run([RASA, "train", "nlu", "--config", "config.yml", "--nlu", str(tmp / "train.yml"), "--out",
                        str(tmp), "--fixed-model-name", "heldout"], cwd=ROOT / "bot", env=env, check=True)
        subprocess.run([RASA, "test", "nlu", "--model", str(tmp / "heldout.tar.gz"), "--nlu", str(tmp / "test.yml"),
                        "--out", str(tmp / "report")], cwd=ROOT / "bot", env=env, check=True)
        errors = json.loads((tmp / "report" / "intent_errors.json").read_text()) \
            if (tmp / "report" / "intent_errors.json").exists() else []
    wrong = {e["text"]: e["intent_prediction"]["name"] for e in errors}
    pairs = defaultdict(list)
    for intent, example in test:
        predicted = wrong.get(example, intent)
        pairs["all"].append((intent, predicted))
        pairs[style(example)].append((intent, predicted))
    results = {name: {"n": len(p), "macro_f1": macro_f1(p), "accuracy": round(sum(g == q for g, q in p) / len(p), 4)}
               for name, p in pairs.items()}
    results["errors"] = [{"text": t, "expected": i, "predicted": wrong[t]} for i, t in test if t in wrong]
    out = ROOT / "bench" / "results" / "nlu.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in results.items() if k != "errors"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
