"""What validate reports and what its checks look at: findings, rules, and the views a check is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from lxml import etree

from podcast.urls import redact_urls

Severity = Literal["error", "warning"]
Scope = Literal["channel", "item", "feed", "history", "artwork", "transcript", "online"]


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    where: str
    message: str
    fix: str

    def render(self) -> str:
        return f"{self.severity}: {self.where}: {self.message} — {self.fix} [{self.rule}]"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    scope: Scope
    message: str
    fix: str
    # channel/item/artwork/online: subject -> None (pass) or a detail; feed/history: -> (where, detail) pairs.
    check: Callable[..., Any]

    def finding(self, where: str, detail: str = "") -> Finding:
        message = f"{self.message} ({detail})" if detail else self.message
        # A feed can name addresses with user:password@ in them (one published before they were refused).
        return Finding(self.id, self.severity, redact_urls(where), redact_urls(message), self.fix)


@dataclass(frozen=True)
class FeedView:
    """A parsed feed and what whole-feed rules need besides it."""

    source: str
    channel: etree._Element
    items: list[etree._Element]
    now: datetime | None = None


@dataclass(frozen=True)
class HistoryView:
    """The feed about to be published, the last published one, and the GUIDs allowed to leave."""

    current: list[etree._Element]
    previous: list[etree._Element]
    retired: frozenset[str] = frozenset()  # withdrawn episodes, and ones trimmed by [feed] max_items


@dataclass(frozen=True)
class Probe:
    """What a directory sees when it fetches one URL named by the feed."""

    url: str
    kind: str  # "enclosure", "image", "transcript", "chapters"
    expected_type: str | None
    expected_length: int | None
    head_status: int | None = None  # None: no answer at all
    head_type: str | None = None
    head_length: int | None = None
    range_status: int | None = None
    range_total: int | None = None  # from Content-Range
    error: str | None = None
