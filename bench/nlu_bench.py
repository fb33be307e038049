"""Intent classification on a held-out split of the NLU data, by writing style.

    .venv-rasa/bin/python -m bench.nlu_bench      (from the repository root; trains an NLU-only model)

Five-fold cross-validation: each intent's examples are shuffled (seeded) and dealt into five
folds; for each fold the NLU pipeline is trained on the other four with `rasa train nlu` and
`rasa test nlu` predicts the held-out one. Every example is thus predicted once by a model that
never saw it, which is steadier than one held-out fifth (that moves by about 3 points with the
split). Macro-F1 over the pooled predictions is reported for all examples and separately for
accented, accent-free and teencode ones. Results: bench/results/nlu.json.
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
FOLDS = 5
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


def predict_errors(train: dict[str, list[str]], test: list[tuple[str, str]]) -> dict[str, str]:
    """Trains on `train` and predicts `test`: the wrongly predicted texts and their predicted intent."""
    as_yaml = lambda groups: yaml.safe_dump({"version": "3.1", "nlu": [
        {"intent": i, "examples": "".join(f"- {e}\n" for e in ex)} for i, ex in groups.items()]}, allow_unicode=True)
    held_out = defaultdict(list)
    for intent, example in test:
        held_out[intent].append(example)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "train.yml").write_text(as_yaml(train), encoding="utf-8")
        (tmp / "test.yml").write_text(as_yaml(held_out), encoding="utf-8")
        env = {"PYTHONPATH": f"{ROOT / 'bot'}:{ROOT}", "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
               "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
        subprocess.run([RASA, "train", "nlu", "--config", "config.yml", "--nlu", str(tmp / "train.yml"), "--out",
                        str(tmp), "--fixed-model-name", "heldout"], cwd=ROOT / "bot", env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([RASA, "test", "nlu", "--model", str(tmp / "heldout.tar.gz"), "--nlu", str(tmp / "test.yml"),
                        "--out", str(tmp / "report")], cwd=ROOT / "bot", env=env, check=True, stdout=subprocess.DEVNULL)
        errors_file = tmp / "report" / "intent_errors.json"
        errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    return {e["text"]: e["intent_prediction"]["name"] for e in errors}


def main() -> int:
    data = yaml.safe_load((ROOT / "nlu_data" / "nlu.yml").read_text(encoding="utf-8"))
    rng = random.Random(13)
    folds = [(defaultdict(list), []) for _ in range(FOLDS)]  # (training examples by intent, held-out pairs)
    for block in data["nlu"]:
        examples = [line[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")]
        rng.shuffle(examples)
        for i, example in enumerate(examples):
            for k, (train, test) in enumerate(folds):
                if i % FOLDS == k:
                    test.append((block["intent"], example))
                else:
                    train[block["intent"]].append(example)
    wrong: dict[str, str] = {}
    for k, (train, test) in enumerate(folds, 1):
        print(f"==> fold {k}/{FOLDS}: training on {sum(map(len, train.values()))} examples, testing {len(test)}",
              flush=True)
        wrong.update(predict_errors(train, test))
    test = [pair for _, held_out in folds for pair in held_out]
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
