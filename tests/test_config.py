"""Configuration: upstream's variable names, one boolean rule, options over the environment."""

from __future__ import annotations

import pytest

from convexlite.config import DEFAULT_STORE_URL, Config, ConfigError, parse_bool
from convexlite.files import InMemory, LocalDirectory


def test_defaults_without_environment():
    config = Config.from_env({})
    assert config.store_url == DEFAULT_STORE_URL
    assert config.instance_name == "convex-self-hosted"
    assert config.instance_secret is None
    assert config.require_ssl is True
    assert config.redact_logs_to_client is False


def test_upstream_names():
    config = Config.from_env(
        {
            "INSTANCE_NAME": "my-app",
            "INSTANCE_SECRET": "ab" * 32,
            "POSTGRES_URL": "postgres://u@db:5432",
            "DO_NOT_REQUIRE_SSL": "1",
            "REDACT_LOGS_TO_CLIENT": "true",
            "CONVEX_CLOUD_ORIGIN": "https://api.example.com",
            "CONVEX_SITE_ORIGIN": "https://site.example.com",
            "MYSQL_CA_FILE": "/etc/ca.pem",
        }
    )
    assert config.instance_name == "my-app"
    assert config.instance_secret == "ab" * 32
    assert config.store_url == "postgres://u@db:5432"
    assert config.require_ssl is False
    assert config.redact_logs_to_client is True
    assert config.cloud_origin == "https://api.example.com"
    assert config.site_origin == "https://site.example.com"
    assert config.mysql_ca_file == "/etc/ca.pem"


def test_postgres_wins_over_mysql_and_options_win_over_both():
    env = {"POSTGRES_URL": "postgres://a", "MYSQL_URL": "mysql://b"}
    assert Config.from_env(env).store_url == "postgres://a"
    assert Config.from_env({"MYSQL_URL": "mysql://b"}).store_url == "mysql://b"
    assert Config.from_env(env, store_url="sqlite:///x.db").store_url == "sqlite:///x.db"
    assert Config.from_env(env, store_url=None).store_url == "postgres://a"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), (" yes ", True), ("on", True), ("", False), ("0", False),
     ("false", False), ("No", False), ("off", False)],
)  # fmt: skip
def test_one_boolean_rule(raw, expected):
    assert parse_bool("X", raw) is expected
    assert Config.from_env({"REDACT_LOGS_TO_CLIENT": raw}).redact_logs_to_client is expected


def test_a_boolean_that_is_not_one_is_refused():
    with pytest.raises(ConfigError, match="DO_NOT_REQUIRE_SSL='perhaps' is not a boolean"):
        Config.from_env({"DO_NOT_REQUIRE_SSL": "perhaps"})


S3_ENV = {
    "S3_STORAGE_FILES_BUCKET": "f",
    "S3_STORAGE_MODULES_BUCKET": "m",
    "S3_STORAGE_SEARCH_BUCKET": "s",
    "S3_STORAGE_EXPORTS_BUCKET": "e",
    "S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET": "i",
}


def test_s3_variables():
    config = Config.from_env(
        {
            **S3_ENV,
            "AWS_REGION": "eu-west-1",
            "S3_ENDPOINT_URL": "http://minio:9000",
            "AWS_ACCESS_KEY_ID": "id",
            "AWS_SECRET_ACCESS_KEY": "s3cr3t-key",
            "AWS_S3_FORCE_PATH_STYLE": "true",
            "AWS_S3_DISABLE_SSE": "1",
            "AWS_S3_DISABLE_CHECKSUMS": "yes",
            "STORAGE_DIR": "/ignored/with/s3",
            "POSTGRES_URL": "postgres://u@db",
        }
    )
    s3 = config.s3_storage
    assert s3 is not None
    assert dict(s3.buckets) == {
        "files": "f", "modules": "m", "search": "s", "exports": "e", "snapshot_imports": "i"
    }  # fmt: skip
    assert (s3.region, s3.endpoint_url) == ("eu-west-1", "http://minio:9000")
    assert (s3.access_key_id, s3.secret_access_key) == ("id", "s3cr3t-key")
    assert s3.force_path_style and not s3.server_side_encryption and not s3.checksums
    assert config.storage_dir is None
    assert config.blob_location() == s3
    assert "s3cr3t-key" not in repr(config)


def test_s3_defaults_send_sse_and_checksums():
    s3 = Config.from_env(S3_ENV).s3_storage
    assert s3 is not None
    assert s3.server_side_encryption and s3.checksums and not s3.force_path_style
    assert s3.region is None and s3.endpoint_url is None


def test_some_s3_buckets_but_not_all_are_refused():
    env = {name: value for name, value in S3_ENV.items() if "SEARCH" not in name}
    with pytest.raises(ConfigError, match="S3_STORAGE_SEARCH_BUCKET"):
        Config.from_env(env)


def test_a_storage_dir_option_and_s3_are_refused_together():
    config = Config.from_env({**S3_ENV, "POSTGRES_URL": "postgres://u@db"}, storage_dir="/data")
    with pytest.raises(ConfigError, match="cannot be combined"):
        config.blob_location()


def test_blob_location_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Config.from_env({}).blob_location() == LocalDirectory(
        str(tmp_path / "convex_local_storage")
    )
    beside = Config(store_url="sqlite:///data/app.db").blob_location()
    assert beside == LocalDirectory(str(tmp_path / "data" / "convex_local_storage"))
    absolute = Config(store_url="/srv/app.db").blob_location()
    assert absolute == LocalDirectory("/srv/convex_local_storage")
    server = Config(store_url="postgres://u@db").blob_location()
    assert server == LocalDirectory(str(tmp_path / "convex_local_storage"))
    assert Config().blob_location() == InMemory()
    assert Config.from_env(S3_ENV, store_url="memory:").blob_location() == InMemory()


def test_storage_dir_from_the_environment_or_an_option(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Config.from_env({"STORAGE_DIR": "files"}).blob_location() == LocalDirectory(
        str(tmp_path / "files")
    )
    config = Config.from_env({"STORAGE_DIR": "files"}, storage_dir="/abs/dir")
    assert config.blob_location() == LocalDirectory("/abs/dir")
