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

# Word characters plus combining marks, so decomposed (NFD) input stays one word.
SPAN_RE = re.compile(r"[\w\u0300-\u036f]+(?:[@.'-][\w\u0300-\u036f]+)*")


def segment(text: str) -> List[Token]:
    """Tokens of `text`: segmented words with original spans and folded, expanded lemmas."""
    spans = [(m.start(), m.end()) for m in SPAN_RE.finditer(text)]
    if not spans:
        return []
    syllables = [canonical(text[s:e]) for s, e in spans]
    groups = _group(syllables)
    tokens = []
    index = 0
    for size in groups:
        start, end = spans[index][0], spans[index + size - 1][1]
        lemma = "_".join(
            fold(expand_word(syllables[i], syllables[i - 1] if i else None,
                             syllables[i + 1] if i + 1 < len(syllables) else None)).replace(" ", "_")
            for i in range(index, index + size)
        )
        tokens.append(Token(text[start:end], start, end, lemma=lemma))
        index += size
    return tokens


def _group(syllables: List[str]) -> List[int]:
    """How many syllables each segmented word spans; one each if underthesea rewrote the text."""
    compounds = word_tokenize(" ".join(syllables))
    sizes = [len(compound.split()) for compound in compounds]
    rebuilt = [part for compound in compounds for part in compound.split()]
    return sizes if rebuilt == syllables else [1] * len(syllables)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Rasa tokenizer component wrapping `segment`."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_", "token_pattern": None}

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["vi"]

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        return self._apply_token_pattern(segment(message.get(attribute) or ""))
