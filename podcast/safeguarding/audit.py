"""The safeguarding audit log: one JSON object a line, appended, never rewritten.

It records what was done to whom's episode and why (takedowns, review links) so the
charity can answer "when was this withdrawn, and was everything removed?". It holds
slugs, object names and the producer's reason with every listed name redacted; it
never holds the redaction list. It lives in the show folder (``[safeguarding]
audit_log``, default ``safeguarding/audit.log``), is never uploaded, and should be
committed with the show so the record survives a lost laptop.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.errors import PodcastError

if TYPE_CHECKING:
    from podcast.show.model import Show

DEFAULT_AUDIT_LOG = "safeguarding/audit.log"


def audit_log_path(show: Show) -> Path:
    safeguarding = getattr(show.manifest, "safeguarding", None)
    return show.root / getattr(safeguarding, "audit_log", DEFAULT_AUDIT_LOG)


def append_audit(path: Path, record: dict[str, Any]) -> None:
    """Append one line and flush it to disk (an audit line lost in a crash is no audit)."""
    line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise PodcastError(
            f"cannot append to the audit log ({exc.strerror})",
            path=path,
            fix="check the folder exists and is writable, then run the command again",
        ) from None


def read_audit(path: Path) -> list[dict[str, Any]]:
    """Every record in the log (for `podcast status` and tests)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
