"""The course catalogue (`knowledge_base/courses.yml`) and suggestions that fit a learner."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from retrieval.phrases import folded_words, matches

GROUPS = {
    "citizen": "Người dân",
    "student": "Học sinh, sinh viên",
    "civil_servant": "Cán bộ, công chức, viên chức",
    "worker": "Người lao động trong doanh nghiệp",
}
LEVELS = ("co-ban", "trung-binh", "nang-cao")
# Words that tell a learner's group when they describe themselves.
GROUP_WORDS = {
    "civil_servant": ["công chức", "viên chức", "cán bộ", "một cửa", "cong chuc", "vien chuc", "can bo", "mot cua"],
    "student": ["học sinh", "sinh viên", "hoc sinh", "sinh vien", "sv", "đoàn viên", "doan vien"],
    "worker": ["công nhân", "người lao động", "doanh nghiệp", "cong nhan", "nguoi lao dong", "doanh nghiep"],
    # Looked for last: "chú là công nhân về hưu" is a worker.
    "citizen": ["người dân", "dân thường", "nông dân", "làm ruộng", "làm nông", "nội trợ", "hưu trí", "về hưu",
                "người cao tuổi", "buôn bán", "tiểu thương", "nguoi dan", "dan thuong", "nong dan", "lam ruong",
                "lam nong", "noi tro", "huu tri", "ve huu", "nguoi cao tuoi", "buon ban", "tieu thuong"],
}


@dataclasses.dataclass
class Course:
    id: str
    title: str
    summary: str
    audience: list[str]
    level: str
    domain: str
    topics: list[str]
    keywords: list[str]
    provider: str
    url: str


class Catalogue:
    def __init__(self, data: dict):
        fields = {f.name for f in dataclasses.fields(Course)}
        self.courses = [Course(**{k: v for k, v in c.items() if k in fields}) for c in data.get("courses") or []]
        self.placement = data.get("placement") or []

    @classmethod
    def load(cls, root: Path) -> "Catalogue":
        path = Path(root) / "courses.yml"
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {})

    @staticmethod
    def group_of(text: str) -> str | None:
        haystack = folded_words(text)
        return next((group for group, words in GROUP_WORDS.items() if matches(words, haystack)), None)

    def suggest(self, text: str, group: str | None = None, level: str | None = None, k: int = 3,
                weak: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> list[Course]:
        """Courses for the learner's group whose keywords appear in `text`, preferring the domains the
        placement found weak and the learner's level; `exclude` drops courses already suggested.

        Another group's course comes only after all of this group's; with no keyword in common, the
        basic courses for the group come first."""
        haystack = folded_words(text)
        group = group or self.group_of(text)

        def level_gap(course: Course) -> int:
            if course.level not in LEVELS:
                return len(LEVELS)
            return abs(LEVELS.index(course.level) - LEVELS.index(level)) if level in LEVELS else LEVELS.index(course.level)

        def score(course: Course) -> tuple:
            hits = len(matches(course.keywords + [course.title], haystack))
            fits_group = group is None or group in course.audience
            return (not fits_group, -hits, bool(weak) and course.domain not in weak, level_gap(course))

        ranked = sorted((c for c in self.courses if c.id not in exclude), key=score)
        matched = [c for c in ranked[:k] if matches(c.keywords + [c.title], haystack)]
        return matched or ranked[:k]

    def level_from(self, answers: dict[str, bool]) -> str | None:
        """The level the placement answers suggest: "yes" to most questions is a higher level. A
        question left unanswered (the learner stopped early) counts as "not yet"."""
        if not answers:
            return None
        share = sum(answers.values()) / max(len(answers), len(self.placement))
        return LEVELS[0] if share < 0.5 else LEVELS[1] if share < 0.84 else LEVELS[2]
