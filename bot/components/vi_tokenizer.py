"""Vietnamese tokenizer for Rasa: underthesea word segmentation on normalised text.

Segmentation runs on the canonical form (NFC, lower-case, one tone placement) so that "Hoà",
"hòa" and "HÒA" segment alike, but every token keeps the span and the text of the original
message, so entity offsets stay valid. Each token's lemma is the folded (diacritics-free) form
with teencode expanded, and the featurizers read lemmas: "dang nhap", "đăng nhập" and "đăng
nhậpp" share features.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message
from underthesea import word_tokenize

from retrieval.normalize import canonical, expand_word, fold

# Word characters plus combining marks, so decomposed (NFD) input stays one word; each emoji
# ("👍", "👎") is a token of its own, as people answer with them.
SPAN_RE = re.compile(r"[\w\u0300-\u036f]+(?:[@.'-][\w\u0300-\u036f]+)*|[\u2600-\u27bf\U0001f300-\U0001faff]")


def segment(text: str) -> List[Token]:
    """Tokens of `text`: segmented words with original spans and folded, expanded lemmas.

    Teencode is expanded before segmentation ("dc" -> "được", "ntn" -> "như thế nào"); a word
    that underthesea groups with its neighbour becomes one token spanning both original words.
    """
    spans = [(m.start(), m.end()) for m in SPAN_RE.finditer(text)]
    words = [canonical(text[s:e]) for s, e in spans]
    syllables, owner = [], []  # expanded syllables and the original word each came from
    for i, word in enumerate(words):
        expanded = expand_word(word, words[i - 1] if i else None, words[i + 1] if i + 1 < len(words) else None)
        for part in expanded.split():
            syllables.append(part)
            owner.append(i)
    tokens: List[Token] = []
    first, last, lemma = None, None, []
    for group in _group(syllables):
        owners = {owner[k] for k in group}
        if first is not None and min(owners) > last:
            tokens.append(_token(text, spans, first, last, lemma))
            first, lemma = None, []
        first = min(owners) if first is None else first
        last = max(owners)
        lemma += [fold(syllables[k]) for k in group]
    if first is not None:
        tokens.append(_token(text, spans, first, last, lemma))
    return tokens


def _token(text: str, spans: list, first: int, last: int, lemma: List[str]) -> Token:
    start, end = spans[first][0], spans[last][1]
    return Token(text[start:end], start, end, lemma="_".join(lemma))


def _group(syllables: List[str]) -> List[List[int]]:
    """Indices of the syllables in each segmented word; one each if underthesea rewrote the text."""
    if not syllables:
        return []
    sizes = [len(compound.split()) for compound in word_tokenize(" ".join(syllables))]
    if sum(sizes) != len(syllables):
        sizes = [1] * len(syllables)
    groups, index = [], 0
    for size in sizes:
        groups.append(list(range(index, index + size)))
        index += size
    return groups


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Rasa tokenizer component wrapping `segment`."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_", "token_pattern": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        word_tokenize("xin chào")  # underthesea loads its model on first use (0.4 s): now, not on a user's message

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["vi"]

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        return self._apply_token_pattern(segment(message.get(attribute) or ""))
