"""Safeguarding on a real S3 server (moto, 127.0.0.1): embargo, review links, takedown with versions and CDN.

Every check that something is *not* public is an anonymous HTTP request, the way a
podcast app or a curious stranger would try it.
"""

from __future__ import annotations

import json
import time
import tomllib
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from s3_fixtures import anonymous
from safeguarding_helpers import add_episode, write_redactions

from podcast.safeguarding.audit import read_audit

PREFIX = "survivor-voices"


def bucket_keys(s3: Any, bucket: str) -> dict[str, list[str]]:
    """key -> every version id and delete marker id the bucket holds for it."""
    found: dict[str, list[str]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            found.setdefault(item["Key"], []).append(item["VersionId"])
    return found


def unsigned(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def test_embargoed_episode_is_not_readable_until_released(cli, make_s3_show, s3, tone, clock):
    show = make_s3_show()
    add_episode(show.root, "episode-1", tone, number=1, published="2026-12-01T09:00:00Z")
    clock("2026-11-25T12:00:00Z")
    assert cli("-C", show.root, "build", "episode-1").exit_code == 0
    sha = json.loads((show.root / "build" / "episode-1" / "build.json").read_text())["sha256"]
    media_url = f"{show.base_url}/media/episode-1-{sha[:12]}.mp3"

    early = cli("-C", show.root, "--json", "publish")
    assert early.exit_code == 0, early.stderr
    assert not any("episode-1" in key for key in bucket_keys(s3, show.bucket))
    assert anonymous(media_url)[0] in (403, 404)
    status, _, feed = anonymous(f"{show.base_url}/feed.xml")
    assert status == 200 and b"Episode 1" not in feed

    clock("2026-12-01T09:00:01Z")
    assert cli("-C", show.root, "publish").exit_code == 0
    status, _, body = anonymous(media_url)
    assert status == 200 and len(body) == (show.root / "build" / "episode-1" / "episode-1.mp3").stat().st_size
    assert b"Episode 1" in anonymous(f"{show.base_url}/feed.xml")[2]


def test_review_links_work_signed_and_fail_unsigned(cli, make_s3_show, s3):
    show = make_s3_show()
    (show.root / "episodes" / "trailer" / "transcript.vtt").write_text(
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nWelcome to Survivor Voices.\n", encoding="utf-8"
    )
    toml = show.root / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace("guid =", 'transcript = "transcript.vtt"\nguid ='))

    result = cli("-C", show.root, "--json", "review", "trailer", "--expires", "2h")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    links = {link["what"]: link for link in report["links"]}
    assert set(links) == {"audio", "transcript", "listen-back"}
    mp3 = (show.root / "build" / "trailer" / "trailer.mp3").read_bytes()
    status, headers, body = anonymous(links["audio"]["url"])
    assert status == 200 and body == mp3 and headers["content-type"] == "audio/mpeg"
    status, _, text = anonymous(links["transcript"]["url"])
    assert status == 200 and text.startswith(b"WEBVTT")
    for link in links.values():
        assert link["key"].startswith("review/trailer-") and len(link["key"].split("/")[1]) > 30  # unguessable
        assert anonymous(unsigned(link["url"]))[0] == 403
        assert anonymous(f"{show.base_url}/{link['key']}")[0] == 403
        query = dict(item.split("=", 1) for item in urlsplit(link["url"]).query.split("&"))
        lifetime = int(query["X-Amz-Expires"]) if "X-Amz-Expires" in query else int(query["Expires"]) - time.time()
        assert 7100 < lifetime <= 7200  # SigV4 says it relative, SigV2 as an absolute time
    # Never listed: not in the feed, not in the state record, so a publish neither lists nor deletes them.
    assert cli("-C", show.root, "publish").exit_code == 0
    feed = s3.get_object(Bucket=show.bucket, Key=f"{PREFIX}/feed.xml")["Body"].read().decode()
    state = s3.get_object(Bucket=show.bucket, Key=f"{PREFIX}/.podcast/state.json")["Body"].read().decode()
    assert "review/" not in feed and "review/" not in state
    assert anonymous(links["audio"]["url"])[0] == 200
    audit = read_audit(show.root / "safeguarding" / "audit.log")
    assert audit[-1]["action"] == "review" and audit[-1]["objects"] == sorted(link["key"] for link in links.values())


def test_review_refuses_a_bucket_that_makes_everything_public(cli, make_s3_show, s3):
    show = make_s3_show()
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{show.bucket}/*"}
        ],
    }
    s3.put_bucket_policy(Bucket=show.bucket, Policy=json.dumps(policy))
    result = cli("-C", show.root, "review", "trailer")
    assert result.exit_code == 1
    assert "was readable without a signature, so it was deleted" in result.stderr
    assert not any(key.startswith(f"{PREFIX}/review/") for key in bucket_keys(s3, show.bucket))


def test_review_shares_the_redacted_transcript(cli, make_s3_show, s3, tmp_path, monkeypatch):
    """The contributor gets the transcript as it will be published: listed names already withheld."""
    write_redactions(tmp_path, monkeypatch)
    show = make_s3_show()
    (show.root / "episodes" / "trailer" / "transcript.txt").write_text("Host: welcome, Aña.\n", encoding="utf-8")
    toml = show.root / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace("guid =", 'transcript = "transcript.txt"\nguid ='))
    # The demo trailer is music: the name cannot be placed on it, so a producer signs the passage off.
    toml.write_text(toml.read_text() + '\n[[safeguarding.signoff]]\nat = "00:00:00"\nline = 1\nby = "test"\n')
    result = cli("-C", show.root, "--json", "review", "trailer")
    assert result.exit_code == 0, result.stderr
    assert "Aña" not in result.stdout + result.stderr
    link = next(link for link in json.loads(result.stdout)["links"] if link["what"] == "transcript")
    status, _, body = anonymous(link["url"])
    assert status == 200 and "[name withheld]" in body.decode() and "Aña" not in body.decode()
    for key in bucket_keys(s3, show.bucket):
        if "/review/" in key:
            stored = s3.get_object(Bucket=show.bucket, Key=key)["Body"].read()
            assert "Aña".encode() not in stored and b"A\xc3\xb1a" not in stored


def test_takedown_on_a_versioned_bucket_leaves_nothing_reachable(cli, make_s3_show, s3, tone, tmp_path, distribution):
    client, distribution_id = distribution
    show = make_s3_show(extra=f'cloudfront_distribution_id = "{distribution_id}"\n')
    s3.put_bucket_versioning(Bucket=show.bucket, VersioningConfiguration={"Status": "Enabled"})
    folder = add_episode(show.root, "episode-1", tone, number=1, title="Episode one")
    guid = tomllib.loads((folder / "episode.toml").read_text())["guid"]
    assert cli("-C", show.root, "publish").exit_code == 0
    first_feed = anonymous(f"{show.base_url}/feed.xml")[2]
    first_media = [url for url in first_feed.decode().split('"') if "/media/episode-1-" in url]
    # New audio: a new media object; the old one is "deleted" but its version stays in a versioned bucket.
    from conftest import make_audio

    make_audio(folder / tone.name, source="sine=frequency=550:duration=3", filters="volume=-20dB")
    assert cli("-C", show.root, "publish").exit_code == 0
    second_feed = anonymous(f"{show.base_url}/feed.xml")[2]
    media_urls = first_media + [url for url in second_feed.decode().split('"') if "/media/episode-1-" in url]
    assert len(set(media_urls)) == 2
    assert anonymous(media_urls[1], headers={"Range": "bytes=0-0"})[0] == 206
    stored = bucket_keys(s3, show.bucket)
    old_versions = {key: ids for key, ids in stored.items() if "episode-1" in key and "/episodes/" not in key}
    assert (
        len(old_versions) == 2 and sum(len(ids) for ids in old_versions.values()) == 3
    )  # 2 versions + a delete marker

    review = cli("-C", show.root, "--json", "review", "episode-1")
    assert review.exit_code == 0, review.stderr
    review_url = json.loads(review.stdout)["links"][0]["url"]
    assert anonymous(review_url)[0] == 200
    old_versions.update({key: ids for key, ids in bucket_keys(s3, show.bucket).items() if "/review/episode-1-" in key})
    old_versions[f"{PREFIX}/episodes/episode-1.html"] = stored[f"{PREFIX}/episodes/episode-1.html"]  # its web page

    result = cli("-C", show.root, "--json", "takedown", "episode-1", "--reason", "Contributor withdrew consent")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(report["removed"]) == sorted(key.removeprefix(f"{PREFIX}/") for key in old_versions)
    assert report["cdn_invalidation"]

    remaining = bucket_keys(s3, show.bucket)
    assert not any("episode-1" in key for key in remaining), "a version of the episode survived"
    for url in [*media_urls, review_url]:  # review copies go too, even with a valid signature
        assert anonymous(url)[0] in (403, 404)
    status, _, feed = anonymous(f"{show.base_url}/feed.xml")
    assert status == 200 and guid.encode() not in feed and b"Welcome to Survivor Voices" in feed
    for version_id in remaining[f"{PREFIX}/feed.xml"]:  # no old feed version still lists it
        body = s3.get_object(Bucket=show.bucket, Key=f"{PREFIX}/feed.xml", VersionId=version_id)["Body"].read()
        assert guid.encode() not in body
    for version_id in remaining[f"{PREFIX}/index.html"]:  # nor an old version of the show page
        body = s3.get_object(Bucket=show.bucket, Key=f"{PREFIX}/index.html", VersionId=version_id)["Body"].read()
        assert b"episode-1.html" not in body and b"Episode one" not in body

    batches = [
        client.get_invalidation(DistributionId=distribution_id, Id=item["Id"])["Invalidation"]["InvalidationBatch"][
            "Paths"
        ]["Items"]
        for item in client.list_invalidations(DistributionId=distribution_id)["InvalidationList"]["Items"]
    ]
    paths = {path for batch in batches for path in batch}
    assert f"/{show.bucket}/{PREFIX}/feed.xml" in paths
    assert all(f"/{show.bucket}/{key}" in paths for key in old_versions)

    again = cli("-C", show.root, "--json", "publish")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["episodes"] == ["trailer"]
    assert not any("episode-1" in key for key in bucket_keys(s3, show.bucket))
    assert guid.encode() not in anonymous(f"{show.base_url}/feed.xml")[2]
