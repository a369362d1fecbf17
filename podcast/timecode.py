"""Parsing and formatting of the time values producers write (chapter starts, durations)."""

from __future__ import annotations

import re

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
