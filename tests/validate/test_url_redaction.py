"""Findings never print user:password@ from an address a feed names (one published before such
addresses were refused, or someone else's feed)."""

from __future__ import annotations

from podcast.validate.runner import validate_feed_bytes

PASSWORD = "Sup3rSecretPw"
FEED = f"""<?xml version='1.0' encoding='UTF-8'?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>T</title>
<item><title>One</title><guid isPermaLink="false">g1</guid>
<enclosure url="https://u:{PASSWORD}@media.example.org/one.mp3" length="1" type="text/plain"/>
<podcast:transcript url="https://u:{PASSWORD}@media.example.org/one.vtt"/>
</item></channel></rss>
""".encode()


def test_findings_redact_credentials_in_addresses() -> None:
    findings = validate_feed_bytes(FEED, source=f"https://u:{PASSWORD}@media.example.org/feed.xml")
    rendered = [finding.render() for finding in findings]
    assert any("url 'https://[redacted]@media.example.org/one.vtt'" in line for line in rendered), rendered
    for line in rendered:
        assert PASSWORD not in line, line
