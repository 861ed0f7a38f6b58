"""`S3BlobStore`: one bucket per use case, object key `<prefix><key>` (spec/platform.md §4.7).

Streaming writes are multipart uploads of `part_size` parts (S3 needs at least 5 MiB for all
but the last), buffered one part at a time so memory stays flat; a blob smaller than one part
is one PUT. An upload is invisible until it is completed, and `abort()` aborts it. Reads are
(ranged) GETs whose bodies are streamed in chunks. Works with AWS S3 and S3-compatible
servers (MinIO, R2, moto) through `S3_ENDPOINT_URL`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from convexlite.files.locations import S3Buckets
from convexlite.files.types import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobNotFound,
    S3BucketUnavailable,
    check_key,
    check_range,
)
from convexlite.files.writer import StreamedPut, WriterBase

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
MAX_POOL_CONNECTIONS = 32
"""Concurrent requests one client serves: the server calls stores from many threads."""


def s3_client(settings: S3Buckets) -> Any:
    """One thread-safe client for all of a backend's buckets."""
    session = boto3.session.Session(
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
        aws_session_token=settings.session_token,
        region_name=settings.region,
        profile_name=settings.profile,
    )
    checksums = "when_supported" if settings.checksums else "when_required"
    config = botocore.config.Config(
        s3={"addressing_style": "path" if settings.force_path_style else "auto"},
        retries={"mode": "standard"},
        max_pool_connections=MAX_POOL_CONNECTIONS,
        request_checksum_calculation=checksums,
        response_checksum_validation=checksums,
    )
    return session.client("s3", endpoint_url=settings.endpoint_url, config=config)


class S3BlobStore(StreamedPut):
    def __init__(self, client: Any, bucket: str, prefix: str, settings: S3Buckets) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = settings.part_size
        self.part_options: dict[str, str] = (
            {"ChecksumAlgorithm": "CRC32"} if settings.checksums else {}
        )
        """Options of every request that sends bytes (PUT, each part)."""
        self.put_options = dict(self.part_options)
        """Options of every request that creates an object (PUT, multipart upload)."""
        if settings.server_side_encryption:
            self.put_options["ServerSideEncryption"] = "AES256"

    def check_bucket(self) -> None:
        """Fail at start, with the bucket's name, rather than at the first upload."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise S3BucketUnavailable(
                f"S3 bucket {self.bucket!r} is not reachable: {exc}; create it or fix the "
                "S3_STORAGE_*_BUCKET, S3_ENDPOINT_URL and AWS_* settings"
            ) from exc

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def writer(self, key: str) -> _S3Writer:
        return _S3Writer(self, key)

    def size(self, key: str) -> int:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except botocore.exceptions.ClientError as exc:
            raise _translated(exc, key) from exc
        return int(head["ContentLength"])

    def read(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> Iterator[bytes]:
        check_range(start, end, chunk_size)
        if end is not None and start >= end:
            self.size(key)  # an empty range of a missing blob is still missing
            return iter(())
        options = {}
        if start > 0 or end is not None:
            options["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            response = self.client.get_object(
                Bucket=self.bucket, Key=self.object_key(key), **options
            )
        except botocore.exceptions.ClientError as exc:
            if _code(exc) == "InvalidRange":  # start at or past the end: nothing to send
                return iter(())
            raise _translated(exc, key) from exc
        return _stream(response["Body"], chunk_size)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def keys(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for entry in page.get("Contents", ()):
                yield entry["Key"][len(self.prefix) :]


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translated(exc: botocore.exceptions.ClientError, key: str) -> Exception:
    if _code(exc) in _NOT_FOUND:
        return BlobNotFound(f"blob {key} not found")
    return exc


def _stream(body: Any, chunk_size: int) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(chunk_size)
    finally:
        body.close()


class _S3Writer(WriterBase):
    """Buffers one part; the multipart upload starts only once a blob outgrows a part."""

    def __init__(self, store: S3BlobStore, key: str) -> None:
        super().__init__(key)
        self._store = store
        self._object_key = store.object_key(key)
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def _write(self, chunk: bytes) -> None:
        """Fill the part buffer; each byte is copied once, whatever the size of the chunks."""
        rest = memoryview(chunk)
        part_size = self._store.part_size
        while len(self._buffer) + len(rest) >= part_size:
            take = part_size - len(self._buffer)
            self._buffer += rest[:take]
            rest = rest[take:]
            part, self._buffer = self._buffer, bytearray()
            self._upload_part(part)
        self._buffer += rest

    def _finish(self, info: BlobInfo) -> None:
        store = self._store
        if self._upload_id is None:
            store.client.put_object(
                Bucket=store.bucket,
                Key=self._object_key,
                Body=self._buffer,
                **store.put_options,
            )
        else:
            if self._buffer:
                self._upload_part(self._buffer)
            store.client.complete_multipart_upload(
                Bucket=store.bucket,
                Key=self._object_key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self._buffer = bytearray()

    def _abort(self) -> None:
        self._buffer = bytearray()
        upload_id, self._upload_id = self._upload_id, None
        if upload_id is not None:
            self._store.client.abort_multipart_upload(
                Bucket=self._store.bucket, Key=self._object_key, UploadId=upload_id
            )

    def _upload_part(self, data: bytearray) -> None:
        store = self._store
        if self._upload_id is None:
            created = store.client.create_multipart_upload(
                Bucket=store.bucket, Key=self._object_key, **store.put_options
            )
            self._upload_id = created["UploadId"]
        number = len(self._parts) + 1
        response = store.client.upload_part(
            Bucket=store.bucket,
            Key=self._object_key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=data,
            **store.part_options,
        )
        part = {"PartNumber": number, "ETag": response["ETag"]}
        if store.part_options:
            part["ChecksumCRC32"] = response["ChecksumCRC32"]
        self._parts.append(part)
