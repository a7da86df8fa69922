"""Characters a reader cannot see, and how tapgen makes them visible.

Used three ways: the spec model refuses them in string values (``first_invisible``), messages
escape them so that one problem stays one line (``visible``), and the HCL and Markdown encoders
escape them as defence in depth.
"""

from __future__ import annotations

import re
import unicodedata

# Control, format (zero-width, bidirectional, tag characters, soft hyphen...), line and paragraph
# separators, surrogates, private use and unassigned code points.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Letters and marks that render as nothing or as a blank, whatever their category says.
_BLANK_LOOKALIKES = (
    r"\u034f"  # COMBINING GRAPHEME JOINER
    r"\u115f\u1160"  # HANGUL CHOSEONG / JUNGSEONG FILLER
    r"\u17b4\u17b5"  # KHMER VOWEL INHERENT AQ / AA
    r"\u180b-\u180f"  # MONGOLIAN FREE VARIATION SELECTORS
    r"\u2800"  # BRAILLE PATTERN BLANK
    r"\u3164"  # HANGUL FILLER
    r"\ufe00-\ufe0f"  # VARIATION SELECTORS
    r"\uffa0"  # HALFWIDTH HANGUL FILLER
    r"\U000e0100-\U000e01ef"  # VARIATION SELECTORS SUPPLEMENT
)
_LOOKALIKE = re.compile(f"[{_BLANK_LOOKALIKES}]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_invisible(char: str) -> bool:
    return unicodedata.category(char) in INVISIBLE_CATEGORIES or bool(_LOOKALIKE.match(char))


def first_invisible(text: str) -> tuple[int, str] | None:
    """(index, character) of the first invisible character in ``text``, or None."""
    if text.isprintable() and not _LOOKALIKE.search(text):  # the common case, in C
        return None
    for index, char in enumerate(text):
        if is_invisible(char):
            return index, char
    return None


_CONTROL_NAMES = {"\0": "NULL", "\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE",
                  "\x7f": "DELETE", "\x85": "NEXT LINE"}


def describe(char: str) -> str:
    """``U+3164 (HANGUL FILLER)``; unnamed code points by their kind."""
    kinds = {"Cc": "a control character", "Cs": "a surrogate", "Co": "private use", "Cn": "unassigned"}
    name = (unicodedata.name(char, None) or _CONTROL_NAMES.get(char)
            or kinds.get(unicodedata.category(char), "unnamed"))
    return f"U+{ord(char):04X} ({name})"


def _needs_escape(char: str) -> bool:
    # Not printable covers every invisible category and the spaces other than " " (no-break,
    # em space...), which look like a space and are not one.
    return not char.isprintable() or bool(_LOOKALIKE.match(char))


def escape_char(char: str) -> str:
    """``\\n``, ``\\t``, ``\\r``, or ``\\uXXXX`` / ``\\UXXXXXXXX`` (the escapes HCL and JSON read)."""
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with every unseen character (newlines included) written as an escape."""
    if text.isprintable() and not _LOOKALIKE.search(text):
        return text
    return "".join(escape_char(c) if _needs_escape(c) else c for c in text)
