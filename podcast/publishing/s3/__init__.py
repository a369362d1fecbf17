"""Publishing to Amazon S3 and S3-compatible stores (Cloudflare R2, Backblaze B2, MinIO, Spaces).

:class:`~podcast.publishing.s3.store.S3Target` implements the :class:`~podcast.publishing.target.Target` protocol with boto3, and
it is the only place boto3/botocore failures are caught: every ``ClientError`` or
``BotoCoreError`` becomes a :class:`~podcast.errors.StorageError` (exit code 4) whose message
says what failed and how to fix it, and never carries a credential.

How the pieces fit:

* **Client.** :func:`make_client` uses boto3's standard credential chain (env vars, profile,
  SSO, instance role); keys are never read from podcast.toml. A custom endpoint
  (``[publish] endpoint_url`` or boto3's own ``AWS_ENDPOINT_URL``/``AWS_ENDPOINT_URL_S3``) turns
  on path-style addressing and ``request_checksum_calculation="when_required"``, which R2, B2
  and older MinIO need. Retries use botocore's *standard* mode (throttling, 5xx, timeouts and
  cut connections, with exponential backoff) unless ``AWS_RETRY_MODE`` says otherwise.
* **Uploads.** Files go through boto3's managed transfer (multipart with parallel parts above
  :data:`MULTIPART_THRESHOLD`); afterwards a HEAD checks the stored size and, where the store
  reports one, the SHA-256 checksum. A mismatch deletes the object and fails the publish.
* **Listing.** :meth:`S3Target.exists` answers from one paginated listing of the prefix,
  so a no-op republish of hundreds of episodes costs a handful of requests, not one HEAD each.
* **State and lock.** :meth:`S3Target.get_versioned`/:meth:`S3Target.put_if` read and
  conditionally write small objects (``If-Match`` on the ETag, ``If-None-Match: *`` when new):
  the publish lock and ``.podcast/state.json``, so two producers publishing at once never
  overwrite each other (see :mod:`podcast.publishing.lock`).
* **Safeguarding hooks.** ``private=True`` uploads without a public ACL,
  :meth:`S3Target.presigned_get_url` shares a private object for review, and
  :meth:`S3Target.list_all_keys`, :meth:`S3Target.delete_all_versions` and
  :meth:`S3Target.purge_old_versions` find and remove every version of a key (takedown).
"""
