"""Web addresses and publishing targets: what they may hold, and how they are shown.

A URL can carry a user name and password (``https://user:pass@host/``). Every address the
tool writes ends up public (the feed, the MP3's WFED tag, the show's pages) or printed
(errors, logs, ``validate`` findings), so an address holding credentials is refused where it
comes in, and :func:`redact_urls` blanks the ``user:pass@`` part wherever text that might
hold one goes out (library error messages that echo an endpoint, for instance).
Credentials for the store come from the AWS credential chain, never from an address.

A publishing target is a folder or ``s3://bucket/prefix``. Anything else that looks like an
address (``file:///srv/x``, ``https://...``, ``gs://...``) is refused by :func:`check_target`
rather than taken as a strangely named folder inside the show.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from podcast.errors import SettingsInvalid

# scheme://[userinfo@]host: the userinfo runs to the last '@' before the path, query or fragment.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s?#]*@")
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):")

REDACTED = "[redacted]@"

URL_CREDENTIALS_FIX = (
    "remove the 'user:password@' part: the address is shown and published for anyone to read "
    "(rotate that password, it may already have leaked); give storage credentials through the AWS "
    "credential chain instead (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an IAM role), "
    "never in podcast.toml or an address"
)
TARGET_FIX = (
    "write a folder (e.g. feed, or /srv/podcast) or s3://bucket/optional/prefix; "
    "for a folder whose name has a colon, start it with ./"
)


def has_credentials(text: str) -> bool:
    """True when ``text`` holds a web address with a user name or password in it.

    >>> has_credentials("https://user:pass@media.example.org/show")
    True
    >>> has_credentials("http://admin@127.0.0.1:9000")
    True
    >>> has_credentials("https://medium.example.org/@someone/post")
    False
    """
    return _USERINFO.search(text) is not None


def key_with_credentials(data: Any, prefix: str = "") -> str | None:
    """The dotted name of the first text in parsed TOML holding a web address with ``user:password@``.

    Every text is looked at, not only the URL fields: a link in the notes is published too.

    >>> key_with_credentials({"publish": {"endpoint_url": "http://admin:pw@127.0.0.1:9000"}})
    'publish.endpoint_url'
    >>> key_with_credentials({"chapters": [{"url": "https://example.org"}, {"url": "https://a@example.org"}]})
    'chapters[2].url'
    >>> key_with_credentials({"show": {"link": "https://example.org/@ana"}}) is None
    True
    """
    if isinstance(data, str):
        return prefix if has_credentials(data) else None
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        name = f"{prefix}[{key + 1}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else str(key)
        found = key_with_credentials(value, name)
        if found:
            return found
    return None


def redact_urls(text: str) -> str:
    """Blank the ``user:password@`` part of every web address in ``text``.

    >>> redact_urls("Invalid endpoint: http://admin:pw@store.example.org:9000/x")
    'Invalid endpoint: http://[redacted]@store.example.org:9000/x'
    >>> redact_urls("see https://example.org/@ana and s3://KEY:SECRET@bucket/p")
    'see https://example.org/@ana and s3://[redacted]@bucket/p'
    """
    return _USERINFO.sub(lambda match: match.group("scheme") + REDACTED, text)


def target_scheme(target: str) -> str | None:
    """The scheme a target is written with, lower case, or None for a plain folder path.

    >>> target_scheme("S3://bucket/p"), target_scheme("file:///srv/x"), target_scheme("feed")
    ('s3', 'file', None)
    >>> target_scheme("./odd:name") is None
    True
    """
    match = _SCHEME.match(target)
    return match.group("scheme").lower() if match else None


def check_target(target: str, *, source: str, path: Path | None = None) -> str:
    """``target`` as the tool will use it (``s3://`` in lower case), or SettingsInvalid saying why not.

    ``source`` names where the value came from (``--target``, ``PODCAST_TARGET``, ``[publish] target``,
    with ``path`` the file it is in) so the message says what to change. Plain paths are returned as
    given (the caller expands ``~`` and resolves them against the show folder).

    >>> check_target("S3://shows/survivor-voices", source="--target")
    's3://shows/survivor-voices'
    >>> check_target("~/feed", source="--target")
    '~/feed'
    >>> check_target("file:///srv/x", source="--target")
    Traceback (most recent call last):
    ...
    podcast.errors.SettingsInvalid: --target 'file:///srv/x' is a file: address, not a folder or s3:// bucket — write the folder as a path: /srv/x
    """
    scheme = target_scheme(target)
    if scheme is None:
        return target
    if has_credentials(target):
        raise SettingsInvalid(
            f"{source} '{redact_urls(target)}' holds a user name or password", path=path, fix=URL_CREDENTIALS_FIX
        )
    if scheme == "s3" and target[len(scheme) : len(scheme) + 3] == "://":
        return "s3" + target[len(scheme) :]
    shown = redact_urls(target)
    if scheme == "s3":
        raise SettingsInvalid(
            f"{source} '{shown}' is not an s3:// address", path=path, fix="write it as s3://bucket/optional/prefix"
        )
    if scheme == "file":
        folder = urlsplit(target).path
        fix = f"write the folder as a path: {folder}" if folder.startswith("/") else TARGET_FIX
        raise SettingsInvalid(
            f"{source} '{shown}' is a file: address, not a folder or s3:// bucket", path=path, fix=fix
        )
    raise SettingsInvalid(
        f"{source} '{shown}' uses '{scheme}:', which is not a publishing target this tool can write to",
        path=path,
        fix=TARGET_FIX,
    )
