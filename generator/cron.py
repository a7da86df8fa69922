"""Cron expressions as AWS schedules take them (AWS Backup plans, restore testing): EventBridge's.

AWS, "Cron expressions reference" (EventBridge User Guide, eb-cron-expressions.html): "Cron
expressions have six required fields, which are separated by white space":

    Minutes 0-59 , - * /    Hours 0-23 , - * /    Day-of-month 1-31 , - * ? / L W
    Month 1-12 or JAN-DEC , - * /    Day-of-week 1-7 or SUN-SAT , - * ? L #    Year 1970-2199 , - * /

and "You can't use * in both the Day-of-month and Day-of-week fields. If you use it in one, you
must use ? in the other"; "The ? (question mark) wildcard specifies any. In the Day-of-month field
you could enter 7 and if any day of the week was acceptable, you could enter ? in the Day-of-week
field." So one of the two is '?' and the other is not. The L, W and # forms are those the page
describes: L (the last day), 3W (the weekday nearest the 3rd), 3#2 (the second Tuesday).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


# ASCII digits only: str.isdigit() also takes '²' and '٢', which int() refuses or EventBridge would.
_DECIMAL = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names for low, low + 1, ...
    any_day: bool = False  # takes "?"

    def value(self, text: str) -> int | None:
        if text.upper() in self.names:
            return self.low + self.names.index(text.upper())
        if _DECIMAL.fullmatch(text) and self.low <= int(text) <= self.high:
            return int(text)
        return None


FIELDS = (_Field("minutes", 0, 59), _Field("hours", 0, 23), _Field("day-of-month", 1, 31, any_day=True),
          _Field("month", 1, 12, _MONTHS), _Field("day-of-week", 1, 7, _DAYS, any_day=True),
          _Field("year", 1970, 2199))
DAY_OF_MONTH, DAY_OF_WEEK = 2, 4
_CRON = re.compile(r"cron\((.*)\)")
DOCS = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html"


def problem(expression: str) -> str | None:
    """What in ``expression`` AWS would refuse, in words; None if it is a valid cron expression."""
    match = _CRON.fullmatch(expression)
    fields = match.group(1).split() if match else []
    if len(fields) != len(FIELDS):
        return f"'{expression}' is not cron(...) with six fields"
    for field, text in zip(FIELDS, fields, strict=True):
        wrong = _field_problem(field, text)
        if wrong:
            return f"'{expression}': {field.name} '{text}' {wrong}"
    day, weekday = fields[DAY_OF_MONTH], fields[DAY_OF_WEEK]
    if (day == "?") == (weekday == "?"):
        both = "both '?'" if day == "?" else f"'{day}' and '{weekday}'"
        return (f"'{expression}': day-of-month and day-of-week are {both}; AWS needs '?' in exactly one of "
                "them (cron(0 6 * * ? *) runs every day at 06:00 UTC)")
    return None


def _field_problem(field: _Field, text: str) -> str | None:
    if text == "?":
        return None if field.any_day else "may not be '?' (only day-of-month or day-of-week may)"
    parts = text.split(",")
    if field.name == "day-of-week" and "#" in text and len(parts) > 1:
        return "may hold a '#' only on its own"
    for part in parts:
        if not _part_ok(field, part):
            return f"is not {_accepted(field)}"
    return None


def _part_ok(field: _Field, part: str) -> bool:
    base, slash, step = part.partition("/")
    if slash and not (_DECIMAL.fullmatch(step) and int(step) >= 1):
        return False
    if base == "*":
        return True
    if field.name == "day-of-month" and not slash:
        if base in ("L", "LW"):
            return True
        if base.endswith("W"):
            return field.value(base[:-1]) is not None
    if field.name == "day-of-week" and not slash:
        if base == "L":
            return True
        if base.endswith("L"):
            return field.value(base[:-1]) is not None
        day, hash_, nth = base.partition("#")
        if hash_:
            return field.value(day) is not None and nth in ("1", "2", "3", "4", "5")
    low, dash, high = base.partition("-")
    if dash:
        return field.value(low) is not None and field.value(high) is not None
    return field.value(base) is not None


def _accepted(field: _Field) -> str:
    names = f" or {field.names[0]}-{field.names[-1]}" if field.names else ""
    extras = {"day-of-month": ", L or nW", "day-of-week": ", L, nL or n#k"}.get(field.name, "")
    return (f"a value from {field.low} to {field.high}{names}, a range, a list, '*' or an increment "
            f"(n/m){extras}")
