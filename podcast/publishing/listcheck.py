"""Which redaction list a publish or review uses, checked against the one the target remembers.

A target published with a list records the list's keyed fingerprint and its number of
names in its state record (:class:`podcast.publishing.state.RedactionRecord`). Every
later ``publish`` and ``review`` compares the list it loaded with that record before it
builds or uploads anything:

* **no list** here, but the target was published with one: refused. This is the new
  terminal without ``PODCAST_REDACTIONS``, the colleague's laptop, the cron job: it would
  publish the real names the last publish replaced.
* a list with **fewer names** than the recorded one: refused, because a truncated sync
  copy or an old copy of the file looks exactly like this. A producer who removed a
  name on purpose says so with ``--accept-fewer-names``.
* a **different** list with as many names or more (a name added, a spelling corrected):
  allowed, with a notice giving the old and new counts, because adding names is the
  ordinary life of the list; the record then takes the new list.

Only counts and a path are ever printed, never a name.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from podcast.errors import RedactionListMismatch
from podcast.publishing.state import RedactionRecord, StateRecord
from podcast.show.redactions import RedactionList, count_names

log = logging.getLogger(__name__)

POINT_AT_LIST = (
    "point this terminal at the list: export PODCAST_REDACTIONS=/path/to/redactions.txt "
    '(or set [safeguarding] redactions = "..." in podcast.toml, which scheduled jobs also see)'
)


@dataclass(frozen=True)
class ListUse:
    """The list a command used (path and count, never a name) and how it compares with the target's record."""

    path: str | None
    names: int
    previous_names: int | None = None  # the count the target recorded, when it has a record
    changed: bool = False  # differs from the list the target was last published with

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_record(names: RedactionList, previous: RedactionRecord | None = None) -> RedactionRecord | None:
    """What the state record keeps of ``names``: its keyed fingerprint and count (None for no list).

    The key is the target's (kept from ``previous``, else made now), never this machine's.
    """
    if not names:
        return None
    key = (previous or {}).get("key") or secrets.token_hex(32)
    return {"fingerprint": names.fingerprint(bytes.fromhex(key)), "names": len(names.entries), "key": key}


def _recorded_fingerprint(names: RedactionList, recorded: RedactionRecord) -> str:
    """``names``' fingerprint under the key the target's record was made with."""
    key = recorded.get("key")
    return names.fingerprint(bytes.fromhex(key)) if key else names.fingerprint()


def check_list(
    state: StateRecord, names: RedactionList, *, where: str, action: str = "publish", accept_fewer: bool = False
) -> ListUse:
    """Compare the loaded list with the one ``state`` remembers; raise RedactionListMismatch to refuse.

    ``where`` names the target in messages; ``action`` is the command ("publish", "review").
    """
    used = ListUse(path=names.source if names else None, names=len(names.entries))
    recorded = state.redactions
    if recorded is None:
        return used
    before = recorded.get("names", 0)
    if not names:
        raise RedactionListMismatch(
            f"{where} was published with a redaction list ({count_names(before)}), but no list is configured here, "
            f"so this {action} would publish the names it hid",
            fix=f"{POINT_AT_LIST}; nothing was built or uploaded",
        )
    if _recorded_fingerprint(names, recorded) == recorded.get("fingerprint"):
        return ListUse(used.path, used.names, previous_names=before)
    if used.names < before and not accept_fewer:
        raise RedactionListMismatch(
            f"the redaction list {used.path} has {count_names(used.names)}, fewer than the {before} {where} was last "
            "published with (a truncated or old copy?)",
            fix="point PODCAST_REDACTIONS (or [safeguarding] redactions) at the full list; if you removed names "
            "on purpose, run again with --accept-fewer-names",
        )
    log.warning(
        "the redaction list differs from the one %s was last published with (%d names then, %d now)",
        where,
        before,
        used.names,
    )
    return ListUse(used.path, used.names, previous_names=before, changed=True)
