"""CloudFront invalidation of the feed after publish, against moto's CloudFront in server mode."""

from __future__ import annotations

import json
from typing import Any


def invalidated_paths(client: Any, distribution_id: str) -> list[list[str]]:
    summaries = client.list_invalidations(DistributionId=distribution_id)["InvalidationList"].get("Items", [])
    return [
        client.get_invalidation(DistributionId=distribution_id, Id=s["Id"])["Invalidation"]["InvalidationBatch"][
            "Paths"
        ]["Items"]
        for s in summaries
    ]


def test_feed_is_invalidated_only_when_configured_and_changed(cli, make_s3_show, distribution):
    client, distribution_id = distribution
    plain = make_s3_show("plain")
    report = json.loads(cli("-C", plain.root, "--json", "publish").stdout)
    assert report["cdn_invalidation"] is None
    assert invalidated_paths(client, distribution_id) == []

    show = make_s3_show("cdn", prefix="with-cdn", extra=f'cloudfront_distribution_id = "{distribution_id}"\n')
    result = cli("-C", show.root, "publish")
    assert result.exit_code == 0, result.stderr
    assert "CloudFront invalidation" in result.stdout
    assert invalidated_paths(client, distribution_id) == [[f"/{show.bucket}/with-cdn/feed.xml"]]
    again = json.loads(cli("-C", show.root, "--json", "publish").stdout)
    assert again["feed_changed"] is False and again["cdn_invalidation"] is None
    assert len(invalidated_paths(client, distribution_id)) == 1


def test_unknown_distribution_is_reported(cli, make_s3_show, distribution):
    show = make_s3_show(extra='cloudfront_distribution_id = "E000000000000X"\n')
    result = cli("-C", show.root, "publish")
    assert result.exit_code == 4
    assert "CloudFront invalidation" in result.stderr and "cloudfront_distribution_id" in result.stderr
