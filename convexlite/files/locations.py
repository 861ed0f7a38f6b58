"""Where a backend's blobs live: in memory, in a local directory, or in S3 buckets.

Plain values, built by `convexlite.config` from the command line and the environment (files/
reads no environment variable) and turned into stores by `open_blob_stores`. They import no
S3 client, so configuring a backend does not pay for boto3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from convexlite.files.types import USE_CASES

MIN_PART_SIZE = 5 << 20
"""S3's smallest part of a multipart upload (all but the last)."""

DEFAULT_PART_SIZE = 8 << 20


@dataclass(frozen=True, slots=True)
class InMemory:
    """Blobs that live as long as the process (for `memory:` stores)."""


@dataclass(frozen=True, slots=True)
class LocalDirectory:
    """`<path>/<use-case>/<key>.blob`; `path` is absolute (resolved when configured)."""

    path: str


@dataclass(frozen=True, slots=True)
class S3Buckets:
    """One bucket per use case (`S3_STORAGE_<USE_CASE>_BUCKET`) and how to reach them.

    Credentials left at None come from boto3's usual chain (profile files, web identity,
    container or instance metadata). `server_side_encryption` sends
    `x-amz-server-side-encryption: AES256` and `checksums` sends CRC32 checksums, as upstream
    does; turn them off for S3-compatible servers that refuse them (`AWS_S3_DISABLE_SSE`,
    `AWS_S3_DISABLE_CHECKSUMS`).
    """

    buckets: Mapping[str, str]
    region: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    profile: str | None = None
    force_path_style: bool = False
    server_side_encryption: bool = True
    checksums: bool = True
    part_size: int = DEFAULT_PART_SIZE

    def __post_init__(self) -> None:
        missing = [use_case for use_case in USE_CASES if not self.buckets.get(use_case)]
        if missing:
            raise ValueError(f"S3 storage needs a bucket for every use case; missing: {missing}")
        if self.part_size < MIN_PART_SIZE:
            raise ValueError(f"S3 parts are at least {MIN_PART_SIZE} bytes, not {self.part_size}")


BlobLocation = InMemory | LocalDirectory | S3Buckets
