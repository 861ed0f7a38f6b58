"""Configuration: upstream's variable names, one boolean rule, options over the environment."""

from __future__ import annotations

import pytest

from convexlite.config import DEFAULT_STORE_URL, Config, ConfigError, parse_bool


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
