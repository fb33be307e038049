import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bot/ holds the Rasa components and actions, imported as `components` and `actions` like Rasa does.
for path in (ROOT, ROOT / "bot"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
