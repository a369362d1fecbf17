"""Parsing and formatting of the time values producers write (chapter starts, durations)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_CLOCK = re.compile(r"^(?:(\d+):)?([0-5]?\d):([0-5]\d(?:\.\d{1,3})?)$")


def parse_time(value: str | int | float) -> float:
    """Seconds from ``HH:MM:SS(.mmm)``, ``MM:SS`` or plain seconds.

    >>> parse_time("01:00:00")
    3600.0
    >>> parse_time("02:03.5")
    123.5
    >>> parse_time("00:00:01.250")
    1.25
    >>> parse_time(90)
    90.0
    >>> parse_time("12.5")
    12.5
    >>> parse_time("1:75")
    Traceback (most recent call last):
    ...
    ValueError: '1:75' is not a time: write HH:MM:SS, MM:SS or seconds
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time: write HH:MM:SS, MM:SS or seconds")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = value.strip()
        match = _CLOCK.match(text)
        if match:
            hours, minutes, secs = match.groups()
            seconds = int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)
        else:
            try:
                seconds = float(text)
            except ValueError:
                raise ValueError(f"{value!r} is not a time: write HH:MM:SS, MM:SS or seconds") from None
    if seconds < 0 or seconds != seconds:
        raise ValueError(f"{value!r} is not a time: it must be zero or more seconds")
    return seconds


def format_duration(seconds: float) -> str:
    """``HH:MM:SS`` for itunes:duration (whole seconds, rounded).

    >>> format_duration(3.4)
    '00:00:03'
    >>> format_duration(3725.6)
    '01:02:06'
    """
    total = int(round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def span_text(seconds: float) -> str:
    """A time span the way a person says it: the two largest units, short.

    >>> span_text(1 * 86400 + 13 * 3600 + 5 * 60)
    '1 d 13 h'
    >>> span_text(3 * 3600 + 20 * 60), span_text(7 * 60 + 30), span_text(42)
    ('3 h 20 min', '7 min', '42 s')
    >>> span_text(3 * 86400), span_text(40 * 86400 + 3600)
    ('3 d', '40 d')
    """
    total = max(0, int(round(seconds)))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours and days < 7 else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def until_text(moment: datetime, now: datetime) -> str:
    """``until Wed 2 Dec 19:29 UTC (in 3 days)``: a deadline a contributor can read at a glance.

    >>> from datetime import UTC, datetime
    >>> until_text(datetime(2026, 12, 2, 19, 29, tzinfo=UTC), datetime(2026, 11, 29, 19, 29, tzinfo=UTC))
    'until Wed 2 Dec 19:29 UTC (in 3 days)'
    >>> until_text(datetime(2026, 12, 2, 19, 29, tzinfo=UTC), datetime(2026, 12, 2, 7, 0, tzinfo=UTC))
    'until Wed 2 Dec 19:29 UTC (in 12 hours)'
    """
    when = moment.astimezone(UTC)
    return f"until {when:%a} {when.day} {when:%b %H:%M} UTC (in {relative_words(moment - now)})"


def relative_words(delta: timedelta) -> str:
    """How far off, in whole words: '3 days', '1 day', '12 hours', '5 minutes' (rounded to the nearest).

    >>> relative_words(timedelta(days=2, hours=23, minutes=59)), relative_words(timedelta(minutes=1))
    ('3 days', '1 minute')
    """
    seconds = max(0.0, delta.total_seconds())
    unit, size = next(((u, n) for u, n in (("day", 86400), ("hour", 3600)) if seconds >= n), ("minute", 60))
    count = max(1, round(seconds / size))
    return f"{count} {unit}" + ("" if count == 1 else "s")
