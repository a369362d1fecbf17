"""What a scaffold leaves behind: `podcast validate` warns until the producer has replaced it.

`podcast init` and `podcast new` write placeholders so a new show works at once: artwork that says
"Replace this artwork", example notes, and example.org addresses. Each is harmless on the first day
and a small embarrassment (or a support notice pointing nowhere) once published, so each is a
warning naming the file and what to write instead. Warnings, not errors: the demo show keeps its
example addresses on purpose, and a producer may publish a first test before the real ones exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image

from podcast.show.manifest import EPISODE_FILE, SHOW_FILE
from podcast.show.model import Show
from podcast.show.scaffold import EXAMPLE_NOTES, EXAMPLE_SHOW_DESCRIPTION, PLACEHOLDER_ARTWORK_MARK
from podcast.show.settings import PublishSettings
from podcast.validate.findings import Finding

# RFC 2606 / RFC 6761: domains reserved for examples; no listener can ever reach them.
_RESERVED = re.compile(r"(?:^|\.)(?:example\.(?:org|com|net|edu)|[^.]+\.(?:example|test|invalid|localhost))$", re.I)
_ADDRESS = re.compile(r"(?:https?://[^\s)>\]\"']+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


def is_example_host(host: str) -> bool:
    """True for a host in a domain reserved for examples.

    >>> is_example_host("media.example.org"), is_example_host("example.com"), is_example_host("charity.org.uk")
    (True, True, False)
    >>> is_example_host("notexample.org"), is_example_host("podcast.test")
    (False, True)
    """
    return bool(_RESERVED.search(host.strip(".").lower()))


def example_addresses(text: str) -> list[str]:
    """The web and email addresses in ``text`` whose host is reserved for examples.

    >>> example_addresses("help at https://example.org/support or help@charity.org.uk")
    ['https://example.org/support']
    """
    found = []
    for address in _ADDRESS.findall(text):
        host = address.rsplit("@", 1)[1] if "@" in address and "://" not in address else urlsplit(address).hostname
        if host and is_example_host(host):
            found.append(address.rstrip(".,;"))
    return found


def _warning(rule: str, where: str, message: str, fix: str) -> Finding:
    return Finding(rule, "warning", where, message, fix)


def _is_placeholder_art(path: Path) -> bool:
    try:
        with Image.open(path) as image:
            return image.info.get("comment") == PLACEHOLDER_ARTWORK_MARK
    except OSError:
        return False  # unreadable artwork is the artwork rules' business


def scaffold_leftovers(show: Show, settings: PublishSettings) -> list[Finding]:
    """Warnings for every placeholder `podcast init` or `podcast new` wrote that is still there."""
    return list(_leftovers(show, settings))


def _leftovers(show: Show, settings: PublishSettings) -> Iterator[Finding]:
    info = show.manifest.show
    show_file = SHOW_FILE
    if _is_placeholder_art(show.artwork_path):
        yield _warning(
            "scaffold-artwork",
            str(show.artwork_path.relative_to(show.root)),
            "is the placeholder `podcast init` made ('Replace this artwork')",
            "replace it with the show's own square JPEG or PNG, 1400-3000 px",
        )
    if info.description.strip() == EXAMPLE_SHOW_DESCRIPTION:
        yield _warning(
            "scaffold-notes",
            f"{show_file}: [show] description",
            "is still the example text `podcast init` wrote",
            "describe the show in a few sentences: directories show this under the title",
        )
    for episode in show.episodes:
        if episode.manifest.withdrawn:
            continue
        if episode.manifest.description.strip() == EXAMPLE_NOTES.strip():
            yield _warning(
                "scaffold-notes",
                f"episodes/{episode.slug}/{EPISODE_FILE}: description",
                f"episode {episode.manifest.number} '{episode.manifest.title}' still has the example notes",
                "write the show notes (Markdown) between the triple quotes",
            )
    places = [
        ("[show] owner email", info.owner.email, "the address Apple and Spotify write to about the show"),
        ("[show] support_notice", info.support_notice or "", "where listeners affected by an episode find help"),
        ("[show] link", info.link, "the show's own web page"),
    ]
    for where, text, what in places:
        addresses = example_addresses(text)
        if addresses:
            yield _warning(
                "scaffold-address",
                f"{show_file}: {where}",
                f"uses an example address ({', '.join(sorted(set(addresses)))}) that no one can reach",
                f"write the real one: {what}",
            )
    host = urlsplit(settings.base_url).hostname or ""
    if is_example_host(host):
        yield _warning(
            "scaffold-address",
            f"{show_file}: [publish] base_url",
            f"is an example address ({settings.base_url}): apps cannot download from it",
            "set it to the public address that serves the target (or pass --base-url)",
        )
