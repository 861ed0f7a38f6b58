"""What only the S3 store promises: upstream's object keys, the settings for S3-compatible
servers that refuse SSE or checksums, and a clear error for a missing bucket."""

from __future__ import annotations

import dataclasses
import hashlib
import socket

import boto3
import pytest

from convexlite.files import S3Buckets, S3BucketUnavailable, open_blob_stores


def client(location: S3Buckets):
    return boto3.client(
        "s3",
        endpoint_url=location.endpoint_url,
        region_name=location.region,
        aws_access_key_id=location.access_key_id,
        aws_secret_access_key=location.secret_access_key,
    )


def test_object_keys_are_prefix_and_key(s3_buckets: S3Buckets, prefix: str) -> None:
    stores = open_blob_stores(s3_buckets, prefix)
    stores.files.put("6f1c0e2a-0000-4000-8000-000000000001", b"hello")
    stores.close()
    raw = client(s3_buckets)
    listed = raw.list_objects_v2(Bucket=s3_buckets.buckets["files"], Prefix=prefix)
    assert [entry["Key"] for entry in listed["Contents"]] == [
        f"{prefix}6f1c0e2a-0000-4000-8000-000000000001"
    ]
    head = raw.head_object(
        Bucket=s3_buckets.buckets["files"], Key=f"{prefix}6f1c0e2a-0000-4000-8000-000000000001"
    )
    assert head["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize("size", [100, 12 << 20])  # one PUT, and a multipart upload
def test_sse_and_checksums_can_be_turned_off(s3_buckets: S3Buckets, prefix: str, size) -> None:
    plain = dataclasses.replace(s3_buckets, server_side_encryption=False, checksums=False)
    stores = open_blob_stores(plain, prefix)
    data = bytes(range(256)) * (size // 256)
    with stores.files.writer("k") as writer:
        for i in range(0, len(data), 1 << 20):
            writer.write(data[i : i + (1 << 20)])
        info = writer.finish()
    assert info.sha256 == hashlib.sha256(data).digest()
    assert b"".join(stores.files.read("k")) == data
    head = client(s3_buckets).head_object(Bucket=s3_buckets.buckets["files"], Key=prefix + "k")
    assert "ServerSideEncryption" not in head
    stores.close()


def test_a_missing_bucket_is_a_clear_error_at_open(s3_buckets: S3Buckets) -> None:
    buckets = {**s3_buckets.buckets, "search": "no-such-bucket"}
    with pytest.raises(S3BucketUnavailable, match="no-such-bucket"):
        open_blob_stores(dataclasses.replace(s3_buckets, buckets=buckets), "p/")


def test_an_unreachable_endpoint_is_a_clear_error_at_open(s3_buckets: S3Buckets) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    with pytest.raises(S3BucketUnavailable, match="not reachable"):
        open_blob_stores(dataclasses.replace(s3_buckets, endpoint_url=nowhere), "p/")


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="missing"):
        S3Buckets({"files": "f"})
    buckets = {name: name for name in ("files", "modules", "search", "exports")}
    with pytest.raises(ValueError, match="snapshot_imports"):
        S3Buckets(buckets)
    with pytest.raises(ValueError, match="at least"):
        S3Buckets({**buckets, "snapshot_imports": "s"}, part_size=1 << 20)
