"""Content checks on the knowledge base: the validator passes, and the facts people ask for are written down."""
import importlib.util
import json

from retrieval import kb_check
from retrieval.kb import load_articles

from conftest import ROOT

EVAL = ROOT.parent / "shared" / "eval"


def grader():
    spec = importlib.util.spec_from_file_location("grade", EVAL / "grade.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kb_check_passes():
    assert kb_check.main(ROOT / "knowledge_base") == 0


def test_every_answerable_dev_question_has_its_facts_in_one_article():
    """With the grader's own matching rule: one article states an alternative of every must group."""
    fold = grader().fold
    texts = [fold("\n".join([a.title, a.body, *a.steps])) for a in load_articles(ROOT / "knowledge_base")]
    items = [json.loads(line) for line in (EVAL / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = []
    for item in items:
        if item["expect"] != "answer" or not item["must"]:
            continue
        groups = [[fold(alt) for alt in group if fold(alt)] for group in item["must"]]
        if not any(all(any(alt in text for alt in group) for group in groups) for text in texts):
            missing.append(item["id"])
    assert not missing, f"no article states the facts of: {missing}"
