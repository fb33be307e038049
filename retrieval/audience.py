"""Whether a question asks for a volunteer's script or for the asker's own answer.

Volunteer scripts (articles of topic `volunteer`) and citizen articles often explain the same
procedure. The question's own words tell them apart: "tnv chỉ bà con kích hoạt vneid" wants the
script, "kích hoạt vneid thế nào" the citizen article. The search shifts the scripts' scores up
for the first kind and down for the second, by `Tuning.script_shift`.
"""
from __future__ import annotations

import re

from retrieval.normalize import fold, normalize

SCRIPT_TOPIC = "volunteer"

# Words only a helper uses of themselves or of what they follow (folded).
HELPER_WORDS = re.compile(r"\b(tinh nguyen vien|dai su so|doan vien|to cong nghe so|kich ban|mentor|"
                          r"nguoi huong dan|nguoi ho tro)\b")
# Teaching someone else: "chỉ bà con", "hướng dẫn người dân", "dạy ông bà". A civil servant asks
# "hướng dẫn người dân ..." of a citizen article too, so this alone says neither.
TEACHING = re.compile(r"\b(chi|huong dan|hd|day|giup|pho bien)( cho)? (ba con|ong ba|nguoi dan|nguoi gia|"
                      r"nguoi cao tuoi|co chu|cu gia|nguoi hoc|hoc vien|nguoi lon tuoi)\b")


def helper_direction(query: str) -> int:
    """+1 when the question is a helper's, -1 when it is plainly the asker's own, 0 when unsure."""
    text = " ".join(fold(w) for w in normalize(query))
    if HELPER_WORDS.search(text):
        return 1
    return 0 if TEACHING.search(text) else -1
