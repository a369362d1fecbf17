"""S3Target: the Target protocol on Amazon S3 and S3-compatible stores (see the package docstring)."""

from __future__ import annotations

import base64
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.errors import CredentialsMissing, StateConflict, StorageError
from podcast.publishing.target import STATE_KEY
from podcast.urls import redact_urls

if TYPE_CHECKING:
    from podcast.show.settings import PublishSettings

from podcast.publishing.s3.client import (
    BAD_CREDENTIALS,
    CONFLICT,
    DENIED,
    MAX_CONCURRENCY,
    MISSING_BUCKET,
    MULTIPART_CHUNKSIZE,
    MULTIPART_THRESHOLD,
    NOT_FOUND,
    WRONG_REGION,
    S3Location,
    custom_endpoint,
    error_code,
    make_client,
    md5_digest,
    parse_s3_url,
    redact,
)

log = logging.getLogger(__name__)


class S3Target:
    """A bucket (and optional prefix) in S3 or an S3-compatible store, as a publishing target.

    ``client`` is injected (tests point it at a loopback server); :meth:`from_settings`
    builds one from ``[publish]``. ``acl`` is ``"public-read"`` for stores that use ACLs
    for public access, or None when a bucket policy or CDN grants it.
    """

    def __init__(
        self,
        location: S3Location,
        client: Any,
        *,
        acl: str | None = None,
        endpoint: str | None = None,
        checksums: bool = False,
        transfer_config: Any = None,
    ):
        from boto3.s3.transfer import TransferConfig

        self.location = location
        self.client = client
        self.acl = acl
        self.endpoint = redact_urls(endpoint) if endpoint else "Amazon S3"  # it appears in error messages
        self.checksums = checksums
        self.transfer_config = transfer_config or TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD,
            multipart_chunksize=MULTIPART_CHUNKSIZE,
            max_concurrency=MAX_CONCURRENCY,
            use_threads=True,
        )
        self._listing: dict[str, int] | None = None
        self._state_etag: str | None = None  # the state record's ETag when last seen
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, target: str, settings: PublishSettings | None) -> S3Target:
        """Open ``s3://bucket/prefix`` with the endpoint, region and ACL from ``[publish]``."""
        location = parse_s3_url(target)
        endpoint_url = getattr(settings, "endpoint_url", None)
        region = getattr(settings, "region", None)
        endpoint = custom_endpoint(endpoint_url)
        client = make_client("s3", endpoint_url=endpoint_url, region=region)
        # AWS verifies a SHA-256 per request; several S3-compatible stores reject the header.
        return cls(location, client, acl=getattr(settings, "acl", None), endpoint=endpoint, checksums=endpoint is None)

    # --- the Target protocol ------------------------------------------------------------------

    def describe(self) -> str:
        return self.location.url

    def _fail(self, exc: Exception, action: str, key: str | None = None) -> StorageError:
        """Turn a boto3/botocore failure into one StorageError line naming the object and the fix."""
        from botocore.exceptions import ConnectionError as BotoConnectionError
        from botocore.exceptions import HTTPClientError, NoCredentialsError, PartialCredentialsError

        code = error_code(exc)
        where = f"{self.location.url}/{key}" if key else self.location.url
        bucket = self.location.bucket
        if code in CONFLICT:
            return StateConflict(
                f"cannot {action} {where}: someone else is publishing to this target at the same time",
                fix="wait for the other publish to finish, then run `podcast publish` again",
            )
        if code in MISSING_BUCKET:
            return StorageError(
                f"bucket '{bucket}' does not exist at {self.endpoint}",
                fix=f"create it (e.g. `aws s3 mb s3://{bucket}`) or correct [publish] target",
            )
        if code in BAD_CREDENTIALS:
            return StorageError(
                f"the store rejected your AWS credentials ({code}) while trying to {action} {where}",
                fix="check AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or refresh an expired session (aws sso login)",
            )
        if code in DENIED:
            return StorageError(
                f"access denied (403): cannot {action} {where}",
                fix=f"check the bucket policy of '{bucket}' (S3 console: the bucket > Permissions > Bucket policy; a "
                "Deny there wins over everything) and your IAM policy: your AWS identity needs s3:GetObject, "
                f"s3:PutObject, s3:DeleteObject and s3:ListBucket on '{bucket}'"
                + ("; if the bucket disables ACLs, remove [publish] acl and use a bucket policy" if self.acl else ""),
            )
        if code in WRONG_REGION:
            return StorageError(
                f"bucket '{bucket}' is in another region ({code})",
                fix='set [publish] region to the bucket\'s region, e.g. region = "eu-west-2"',
            )
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return CredentialsMissing(
                "no usable AWS credentials found",
                fix="set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`",
            )
        if isinstance(exc, BotoConnectionError | HTTPClientError):  # refused, DNS, TLS, timeouts, cut connections
            return StorageError(
                f"cannot reach the store at {self.endpoint} to {action} {where} ({type(exc).__name__}, after retries)",
                fix="check [publish] endpoint_url (or AWS_ENDPOINT_URL) and your network, then run `podcast publish` again; the previous feed stays live",
            )
        return StorageError(
            f"cannot {action} {where}: the store answered {redact(code)}",
            fix="run `podcast publish` again (the previous feed stays live); if it keeps failing, check the store's status page",
        )

    def _call(self, action: str, key: str | None, func: Callable[..., Any], **kwargs: Any) -> Any:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return func(**kwargs)
        except (ClientError, BotoCoreError, Boto3Error) as exc:
            log.debug("%s %s failed: %s", action, key, redact(str(exc)))
            raise self._fail(exc, action, key) from None

    def _load_listing(self) -> dict[str, int]:
        """Key -> size for everything under the prefix, fetched once per target."""
        with self._lock:
            if self._listing is None:
                listing: dict[str, int] = {}
                paginator = self.client.get_paginator("list_objects_v2")

                def fetch() -> None:
                    for page in paginator.paginate(Bucket=self.location.bucket, Prefix=self.location.prefix):
                        for item in page.get("Contents", []):
                            listing[item["Key"][len(self.location.prefix) :]] = item["Size"]

                self._call("list", None, fetch)
                self._listing = listing
            return self._listing

    def exists(self, key: str, size: int) -> bool:
        return self._load_listing().get(key) == size

    def _remember(self, key: str, size: int | None) -> None:
        with self._lock:
            if self._listing is not None:
                if size is None:
                    self._listing.pop(key, None)
                else:
                    self._listing[key] = size

    def _acl_args(self, private: bool) -> dict[str, str]:
        if private:
            return {"ACL": "private"} if self.acl else {}
        return {"ACL": self.acl} if self.acl else {}

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str,
        cache_control: str,
        sha256: str | None = None,
        on_progress: Callable[[int], None] | None = None,
        private: bool = False,
    ) -> None:
        """Upload a file (multipart with parallel parts when large), then check what was stored.

        ``on_progress`` receives byte counts as parts go out (from several threads).
        ``private=True`` skips the public ACL (for review copies; see the module docstring).
        """
        size = path.stat().st_size
        extra: dict[str, Any] = {"ContentType": content_type, "CacheControl": cache_control, **self._acl_args(private)}
        if sha256:
            extra["Metadata"] = {"sha256": sha256}
        if self.checksums:
            extra["ChecksumAlgorithm"] = "SHA256"
        full = self.location.key(key)
        self._call(
            "upload",
            key,
            self.client.upload_file,
            Filename=str(path),
            Bucket=self.location.bucket,
            Key=full,
            ExtraArgs=extra,
            Callback=on_progress,
            Config=self.transfer_config,
        )
        self._verify(key, size, sha256)
        self._remember(key, size)

    def _verify(self, key: str, size: int, sha256: str | None) -> None:
        """HEAD the new object: its size, and its SHA-256 where the store reports a whole-object one."""
        head = self._call(
            "check",
            key,
            self.client.head_object,
            Bucket=self.location.bucket,
            Key=self.location.key(key),
            ChecksumMode="ENABLED",
        )
        problem = None
        if head.get("ContentLength") != size:
            problem = f"stored {head.get('ContentLength')} bytes instead of {size}"
        stored = head.get("ChecksumSHA256")
        whole = head.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT" and "-" not in (stored or "-")
        if (
            sha256
            and stored
            and whole
            and size < self.transfer_config.multipart_threshold
            and stored != base64.b64encode(bytes.fromhex(sha256)).decode()
        ):  # multipart: a checksum of part checksums
            problem = "its SHA-256 checksum does not match the local file"
        if problem:
            self._call(
                "delete", key, self.client.delete_object, Bucket=self.location.bucket, Key=self.location.key(key)
            )
            raise StorageError(
                f"upload of {self.location.url}/{key} was damaged in transit ({problem})",
                fix="run `podcast publish` again; the damaged copy was deleted and the previous feed stays live",
            )

    def _put_object(
        self, action: str, key: str, data: bytes, *, content_type: str, cache_control: str, private: bool, **extra: str
    ) -> Any:
        """One PUT with a Content-MD5, so the store itself rejects a body damaged in transit."""
        return self._call(
            action,
            key,
            self.client.put_object,
            Bucket=self.location.bucket,
            Key=self.location.key(key),
            Body=data,
            ContentType=content_type,
            CacheControl=cache_control,
            ContentMD5=base64.b64encode(md5_digest(data)).decode(),
            **extra,
            **self._acl_args(private),
        )

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str, private: bool = False) -> None:
        """One PUT with a Content-MD5, so the store itself rejects a body damaged in transit."""
        self._put_object("upload", key, data, content_type=content_type, cache_control=cache_control, private=private)
        self._remember(key, len(data))

    def get_bytes(self, key: str) -> bytes | None:
        return self._get(key)[0]

    def _get(self, key: str) -> tuple[bytes | None, str | None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self.client.get_object(Bucket=self.location.bucket, Key=self.location.key(key))
            return response["Body"].read(), response["ETag"]
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND:
                return None, None
            raise self._fail(exc, "read", key) from None
        except BotoCoreError as exc:  # includes a connection cut while the body streams
            raise self._fail(exc, "read", key) from None

    def delete(self, key: str) -> None:
        self._call("delete", key, self.client.delete_object, Bucket=self.location.bucket, Key=self.location.key(key))
        self._remember(key, None)

    # --- the state record, written conditionally ----------------------------------------------

    def get_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        """An object and its ETag. A new ETag on the state record means another producer
        published, so the cached listing is dropped and reloaded on the next :meth:`exists`."""
        data, etag = self._get(key)
        if key == STATE_KEY:
            with self._lock:
                if etag != self._state_etag:
                    self._listing = None
                self._state_etag = etag
        return data, etag

    def put_if(
        self,
        key: str,
        data: bytes,
        *,
        expected: str | None,
        content_type: str,
        cache_control: str,
        private: bool = True,
    ) -> str:
        """Write ``key`` only if its ETag is still ``expected`` (``If-Match``), or it is absent
        (``If-None-Match: *``) when ``expected`` is None; private unless told otherwise.

        Raises :class:`~podcast.errors.StateConflict` when another producer got there first.
        Stores that ignore these headers (some S3-compatible ones) give no protection, but the
        publish lock still narrows the window to the moment both check it.
        """
        condition = {"IfMatch": expected} if expected else {"IfNoneMatch": "*"}
        response = self._put_object(
            "write", key, data, content_type=content_type, cache_control=cache_control, private=private, **condition
        )
        etag = str(response["ETag"])
        with self._lock:
            if key == STATE_KEY:
                self._state_etag = etag
            if self._listing is not None:
                self._listing[key] = len(data)
        return etag

    # --- hooks for safeguarding (private review copies, takedown) -----------------------------

    def presigned_get_url(self, key: str, *, expires_s: int = 3600) -> str:
        """A time-limited URL that lets one reviewer GET a private object."""
        return str(
            self._call(
                "sign",
                key,
                self.client.generate_presigned_url,
                ClientMethod="get_object",
                Params={"Bucket": self.location.bucket, "Key": self.location.key(key)},
                ExpiresIn=expires_s,
            )
        )

    def delete_all_versions(self, key: str) -> int:
        """Delete every version and delete marker of ``key`` (a versioned bucket keeps old bytes otherwise).

        Returns how many versions were removed; on an unversioned bucket it deletes the object.
        """
        full = self.location.key(key)
        paginator = self.client.get_paginator("list_object_versions")
        removed = 0

        def run() -> None:
            nonlocal removed
            for page in paginator.paginate(Bucket=self.location.bucket, Prefix=full):
                for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                    if item["Key"] == full:
                        self.client.delete_object(Bucket=self.location.bucket, Key=full, VersionId=item["VersionId"])
                        removed += 1

        self._call("delete every version of", key, run)
        self._remember(key, None)
        return removed

    def list_all_keys(self) -> set[str]:
        """Every key under the prefix, paging through ``list_object_versions`` so names that
        survive only as old versions behind a delete marker are found too."""
        keys: set[str] = set()
        paginator = self.client.get_paginator("list_object_versions")
        with self._versions_errors("list the objects and their versions"):
            for page in paginator.paginate(Bucket=self.location.bucket, Prefix=self.location.prefix):
                for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                    keys.add(item["Key"][len(self.location.prefix) :])
        return keys

    def purge_old_versions(self, key: str, *, containing: bytes) -> int:
        """Delete the *old* versions of ``key`` whose bytes contain ``containing`` (the latest stays).

        Old feed versions still list a withdrawn episode (title, notes, media URL) to anyone
        allowed to read object versions. 0 on an unversioned bucket.
        """
        client, bucket, full = self.client, self.location.bucket, self.location.key(key)
        removed = 0
        with self._versions_errors(f"remove old versions of {key}"):
            for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=full):
                for version in page.get("Versions", []):
                    if version["Key"] != full or version.get("IsLatest") or version.get("VersionId") in (None, "null"):
                        continue
                    body = client.get_object(Bucket=bucket, Key=full, VersionId=version["VersionId"])["Body"].read()
                    if containing in body:
                        client.delete_object(Bucket=bucket, Key=full, VersionId=version["VersionId"])
                        removed += 1
        return removed

    @contextlib.contextmanager
    def _versions_errors(self, action: str) -> Iterator[None]:
        """Turn failures of the takedown's version handling into one StorageError line (exit 4)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", exc.__class__.__name__)
            raise StorageError(
                f"{self.describe()}: cannot {action} ({code})",
                fix="check your connection and permissions (s3:ListBucketVersions, s3:GetObjectVersion, "
                "s3:DeleteObjectVersion), then run the takedown again",
            ) from None

    def check_private_links(self) -> None:
        """S3 keeps objects private without a public ACL and signs links to them: nothing to refuse."""
