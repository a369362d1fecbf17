"""The S3 client and what surrounds it: locations, credentials kept out of messages, error codes.

The only module besides :mod:`podcast.publishing.s3.store` and :mod:`podcast.publishing.s3.cdn`
that touches boto3/botocore (see the package docstring).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from podcast.errors import SettingsInvalid, StorageError
from podcast.urls import URL_CREDENTIALS_FIX, has_credentials, redact_urls

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

MiB = 1024 * 1024
MULTIPART_THRESHOLD = 16 * MiB  # below this one PUT is faster than create/upload/complete
MULTIPART_CHUNKSIZE = 8 * MiB  # S3 allows at most 10,000 parts: 8 MiB parts cover 80 GB
MAX_CONCURRENCY = 10  # parallel part uploads (measured in benchmarks/s3.py)
DEFAULT_MAX_ATTEMPTS = 8  # botocore counts the first try; standard mode backs off up to 20 s
ACLS = ("public-read", "private")

# Error codes the store answers with, sorted into what the producer can do about them.
MISSING_BUCKET = {"NoSuchBucket"}
DENIED = {"AccessDenied", "AllAccessDisabled", "403", "Forbidden", "AccessControlListNotSupported"}
BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
}
WRONG_REGION = {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "301"}
CONFLICT = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
# Access key ids and 40-character secrets, in case a library ever echoes one back.
_SECRET_PATTERN = re.compile(
    r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{12,}|(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)


@dataclass(frozen=True)
class S3Location:
    """Where a show lives in a store: bucket and key prefix (empty, or ending in '/')."""

    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, relative: str) -> str:
        """The full object key for a target-relative key.

        >>> S3Location("shows", "survivor-voices/").key("feed.xml")
        'survivor-voices/feed.xml'
        """
        return f"{self.prefix}{relative}"


def parse_s3_url(url: str) -> S3Location:
    """Split ``s3://bucket/optional/prefix`` into bucket and a normalised prefix.

    >>> parse_s3_url("s3://shows/survivor-voices")
    S3Location(bucket='shows', prefix='survivor-voices/')
    >>> parse_s3_url("s3://shows")
    S3Location(bucket='shows', prefix='')
    >>> parse_s3_url("s3://Bad_Bucket/x")
    Traceback (most recent call last):
    ...
    podcast.errors.StorageError: target 's3://Bad_Bucket/x' does not name a valid bucket — write it as s3://bucket-name/optional/prefix (bucket names are 3-63 lowercase letters, digits, dots and dashes)
    """
    parsed = urlparse(url)
    bucket = parsed.netloc
    if parsed.scheme != "s3" or not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
        raise StorageError(
            f"target '{redact_urls(url)}' does not name a valid bucket",
            fix="write it as s3://bucket-name/optional/prefix (bucket names are 3-63 lowercase letters, digits, dots and dashes)",
        )
    prefix = "/".join(part for part in parsed.path.split("/") if part)
    return S3Location(bucket, f"{prefix}/" if prefix else "")


def redact(text: str) -> str:
    """Blank out anything shaped like an AWS access key id or secret key, and ``user:password@`` in addresses.

    >>> redact("key AKIAIOSFODNN7EXAMPLE was rejected")
    'key [redacted] was rejected'
    >>> redact("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here")
    'secret [redacted] here'
    >>> redact("Invalid endpoint: http://admin:pw@store.example.org")
    'Invalid endpoint: http://[redacted]@store.example.org'
    """
    return _SECRET_PATTERN.sub("[redacted]", redact_urls(text))


def refuse_endpoint_credentials(endpoint_url: str | None) -> None:
    """Refuse ``user:password@`` in the endpoint, whether from [publish] or boto3's AWS_ENDPOINT_URL* variables.

    botocore echoes the endpoint in its own error messages, and the store never reads credentials
    from there anyway: they come from the AWS credential chain.
    """
    sources = [("[publish] endpoint_url", endpoint_url or "")]
    sources += [(name, value) for name, value in sorted(os.environ.items()) if name.startswith("AWS_ENDPOINT_URL")]
    for name, value in sources:
        if has_credentials(value):
            raise SettingsInvalid(
                f"{name} '{redact_urls(value)}' holds a user name or password", fix=URL_CREDENTIALS_FIX
            )


def custom_endpoint(endpoint_url: str | None) -> str | None:
    """The S3 endpoint in effect besides AWS itself: settings first, then boto3's env vars."""
    return endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def make_client(
    service: str = "s3",
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    max_attempts: int | None = None,
) -> Any:
    """A boto3 client with retries, timeouts and the S3-compatible-store settings.

    ``endpoint_url`` only applies to S3 (CloudFront is always AWS's, or boto3's
    ``AWS_ENDPOINT_URL_CLOUDFRONT``). Credentials come from boto3's standard chain.
    """
    import boto3
    from botocore.config import Config

    refuse_endpoint_credentials(endpoint_url)
    endpoint = custom_endpoint(endpoint_url) if service == "s3" else None
    try:
        retries = {
            "mode": os.environ.get("AWS_RETRY_MODE", "standard"),
            "max_attempts": max_attempts or int(os.environ.get("AWS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
        }
        options: dict[str, Any] = {"retries": retries, "connect_timeout": 10, "read_timeout": 60}
        if service == "s3":
            options["signature_version"] = "s3v4"  # presigned review links: SigV4, what AWS and R2/B2 require
        if endpoint:
            options["s3"] = {"addressing_style": "path"}
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
        session = boto3.session.Session()
        region = region or session.region_name or ("us-east-1" if endpoint or service == "cloudfront" else None)
        return session.client(
            service,
            endpoint_url=endpoint_url if service == "s3" else None,
            region_name=region,
            config=Config(**options),
        )
    except Exception as exc:  # ProfileNotFound, NoRegionError, a bad retry mode, a malformed endpoint (ValueError)
        raise StorageError(
            f"cannot set up the {service} client ({redact(str(exc))})",
            fix="check [publish] endpoint_url and region, AWS_PROFILE, AWS_RETRY_MODE and AWS_MAX_ATTEMPTS",
        ) from None


def error_code(exc: BaseException) -> str:
    """The store's error code (``NoSuchBucket``, ``AccessDenied``, ``412``...) or the exception name."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "Unknown")
    if isinstance(exc, S3UploadFailedError):  # boto3 flattens the ClientError into text
        found = re.search(r"An error occurred \(([^)]+)\)", str(exc))
        return found.group(1) if found else "UploadFailed"
    return type(exc).__name__


def md5_digest(data: bytes) -> bytes:
    import hashlib

    return hashlib.md5(data, usedforsecurity=False).digest()
