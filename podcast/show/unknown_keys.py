"""Unknown keys in the manifests: a "did you mean …?" for each, and a refusal for a lost safety key.

The loader ignores a key it does not know. For most keys a warning is enough (``titel`` is noisy,
not harmful). A safety key is different: a misspelt ``content_warning`` publishes the episode
without its warning, a misspelt ``withdrawn`` brings a withdrawn episode back, a misspelt
``[safeguarding]`` key publishes without the protection it asked for. So an unknown key that is
close to a safety key (or is one, written in the wrong table) is an error naming the key it was
probably meant to be.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

# How alike two key names must be (difflib's ratio) to count as one misspelt for the other:
# one or two letters wrong, missing or swapped in a key of ordinary length.
CLOSE = 0.8


@dataclass(frozen=True)
class UnknownKey:
    """A key the manifest's model does not define, with the known keys of the table it sits in."""

    key: str  # dotted, as the producer finds it in the file: "safeguarding.redaction", "chapters[0].url"
    leaf: str  # the name itself: "redaction"
    siblings: tuple[str, ...]  # the dotted keys that table does define


def _normal(name: str) -> str:
    """A key as a producer means it: case, dashes and spaces do not matter.

    >>> _normal("Content-Warning")
    'content_warning'
    """
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside a field's type (``list[Chapter] | str`` -> ``[Chapter]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def unknown_keys(data: dict[str, Any], model: type[BaseModel], prefix: str = "") -> Iterator[UnknownKey]:
    """Every key of the parsed TOML ``data`` that ``model`` (and the tables inside it) does not define.

    Read from the raw data, before validation, so that a misspelt required key (``publshed``) is
    reported as the slip it is rather than as a missing ``published``.
    """
    fields = model.model_fields
    siblings = tuple(f"{prefix}{name}" for name in fields)
    for key, value in data.items():
        if key not in fields:
            yield UnknownKey(f"{prefix}{key}", key, siblings)
            continue
        inner = _models_in(fields[key].annotation)
        if not inner:
            continue
        if isinstance(value, dict):
            yield from unknown_keys(value, inner[0], f"{prefix}{key}.")
        elif isinstance(value, list):
            for index, element in enumerate(value):
                if isinstance(element, dict):
                    yield from unknown_keys(element, inner[0], f"{prefix}{key}[{index + 1}].")


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    """The dotted candidate whose last part is closest to ``name``, if any is close enough.

    >>> _closest("titel", ["title", "number"])
    'title'
    >>> _closest("colour", ["title", "number"]) is None
    True
    """
    by_leaf = {_normal(candidate.rsplit(".", 1)[-1]): candidate for candidate in candidates}
    match = difflib.get_close_matches(_normal(name), by_leaf, n=1, cutoff=CLOSE)
    return by_leaf[match[0]] if match else None


def suggestion(unknown: UnknownKey) -> str | None:
    """The key of the same table that ``unknown`` was most likely meant to be."""
    return _closest(unknown.leaf, unknown.siblings)


def lost_safety_key(unknown: UnknownKey, safety_keys: Iterable[str]) -> str | None:
    """The safety key ``unknown`` was probably meant to be, or None when it is an ordinary slip.

    A near spelling in its own table decides first (``[audio] loudnes_lufs`` is not a safety
    slip however it sounds). With none, a safety key's name written in another table counts too:
    TOML files a key written after ``[[chapters]]`` into that chapter, and ``require_redactions``
    under ``[publish]`` protects nothing.

    >>> lost_safety_key(UnknownKey("content_waring", "content_waring", ("title", "content_warning")),
    ...                 ["content_warning", "published"])
    'content_warning'
    >>> lost_safety_key(UnknownKey("titel", "titel", ("title", "content_warning")), ["content_warning"]) is None
    True
    >>> lost_safety_key(UnknownKey("publish.require_redactions", "require_redactions", ("publish.target",)),
    ...                 ["safeguarding", "safeguarding.require_redactions"])
    'safeguarding.require_redactions'
    """
    safety = list(safety_keys)
    near = suggestion(unknown)
    if near is not None:
        return near if near in safety else None
    return _closest(unknown.leaf, safety)
