"""Search over the real knowledge base."""
import pytest

from retrieval.kb import load_articles
from retrieval.search import Searcher

from conftest import ROOT


@pytest.fixture(scope="module")
def searcher():
    return Searcher(load_articles(ROOT / "knowledge_base"))


@pytest.mark.parametrize("query, topic", [
    ("Tôi quên mật khẩu VNeID thì làm thế nào?", "vneid"),
    ("quen mat khau vneid lam sao", "vneid"),
    ("dang nhap dich vu cong quoc gia bang gi", "dichvucong"),
    ("báo cáo số điện thoại lừa đảo ở đâu", "scam"),
])
def test_finds_an_article_of_the_right_topic(searcher, query, topic):
    result = searcher.search(query)
    assert not result.abstained
    assert result.hits[0].article.topic == topic


@pytest.mark.parametrize("query", ["giá vàng hôm nay bao nhiêu", "xsmb hnay về con j", "kể chuyện cười đi"])
def test_abstains_off_topic(searcher, query):
    assert searcher.search(query).abstained


def test_replace_swaps_the_index(searcher):
    articles = load_articles(ROOT / "knowledge_base")
    small = Searcher(articles[:3])
    assert small.size == 3
    small.replace(articles)
    assert small.size == len(articles)
