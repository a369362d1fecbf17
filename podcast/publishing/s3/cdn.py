"""CloudFront: make a new feed (or a takedown) visible through the CDN at once."""

from __future__ import annotations

import time

from podcast.errors import StorageError
from podcast.publishing.s3.client import DENIED, error_code, make_client, redact


def invalidate_cdn(distribution_id: str, paths: list[str], *, caller_reference: str | None = None) -> str:
    """Ask CloudFront to drop its cached copies of ``paths`` (the feed) now; returns the invalidation id.

    The feed's Cache-Control already caps staleness at 5 minutes; this makes a new
    episode (or a takedown) visible through the CDN at once.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    client = make_client("cloudfront")
    reference = caller_reference or f"podcast-{time.time_ns()}"
    try:
        response = client.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": reference},
        )
    except (ClientError, BotoCoreError) as exc:
        code = error_code(exc)
        fix = (
            "check [publish] cloudfront_distribution_id"
            if code in {"NoSuchDistribution", "404"}
            else "allow cloudfront:CreateInvalidation for your AWS identity"
            if code in DENIED
            else "the feed is published; it reaches listeners when the CDN cache expires (at most 5 minutes)"
        )
        raise StorageError(
            f"CloudFront invalidation of {', '.join(paths)} on distribution {distribution_id} failed ({redact(code)})",
            fix=fix,
        ) from None
    return str(response["Invalidation"]["Id"])
