"""Settings: one table, read from the environment and a config file, documented in docs/settings.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from openaml.config import SETTINGS, SettingValues, load_settings, settings_reference, split_roots
from openaml.errors import ConfigurationError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_every_setting_is_documented_and_the_docs_are_current() -> None:
    text = DOCS.read_text("utf-8")
    for setting in SETTINGS:
        assert f"`{setting.env_var}`" in text
    assert text == settings_reference(), (
        "docs/settings.md is stale: run `openaml config docs > docs/settings.md`"
    )


def test_the_fixed_names_users_rely_on_exist() -> None:
    names = {s.env_var for s in SETTINGS}
    assert {
        "OPENAML_DATA_DIR",
        "OPENAML_DATABASE_URL",
        "OPENAML_ACCESS_KEY_ID",
        "OPENAML_SECRET_ACCESS_KEY",
        "OPENAML_DATA_ROOTS",
        "OPENAML_S3_ENDPOINT_URL",
        "OPENAML_PUBLIC_URL",
        "OPENAML_WORKERS",
        "OPENAML_LOG_LEVEL",
        "OPENAML_SQL_DATABASES",
    } <= names


def test_precedence_is_flags_then_environment_then_file(tmp_path: Path) -> None:
    config = tmp_path / "openaml.toml"
    config.write_text('[openaml]\nworkers = 3\nport = 9000\nlog_level = "DEBUG"\n')
    settings = load_settings(
        env={"OPENAML_PORT": "9100"}, config_file=config, overrides={"log_level": "ERROR"}
    )
    assert (settings.workers, settings.port, settings.log_level) == (3, 9100, "ERROR")
    assert dict((row[0], row[2]) for row in settings.as_table())["OPENAML_WORKERS"] == f"file {config}"


def test_data_roots_keep_s3_uris_whole() -> None:
    assert split_roots("/data/a:s3://bucket/prefix:s3://:file:///x") == (
        "/data/a",
        "s3://bucket/prefix",
        "s3://",
        "file:///x",
    )
    assert load_settings(env={"OPENAML_DATA_ROOTS": "/a:/b"}).data_roots == ("/a", "/b")


def test_bad_values_and_unknown_keys_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="OPENAML_WORKERS"):
        load_settings(env={"OPENAML_WORKERS": "many"})
    with pytest.raises(ConfigurationError, match="OPENAML_ALLOW_ANONYMOUS"):
        load_settings(env={"OPENAML_ALLOW_ANONYMOUS": "perhaps"})
    config = tmp_path / "bad.toml"
    config.write_text("wrokers = 2\n")
    with pytest.raises(ConfigurationError, match="unknown setting 'wrokers'"):
        load_settings(env={}, config_file=config)


def test_secrets_are_masked_in_the_table() -> None:
    rows = dict((r[0], r[1]) for r in load_settings(env={"OPENAML_SECRET_ACCESS_KEY": "s3cr3t"}).as_table())
    assert rows["OPENAML_SECRET_ACCESS_KEY"] == "********"


def test_the_typed_declarations_match_the_table() -> None:
    declared = SettingValues.__annotations__
    assert declared == {s.name: s.python_type for s in SETTINGS}, (
        "the typed declarations in src/openaml/config.py are stale: run `python -m openaml.config`"
    )


def test_every_setting_is_an_attribute_of_its_type() -> None:
    kinds = {"int": int, "float": float, "bool": bool, "str": str, "path": Path, "paths": tuple}
    defaults = load_settings(env={})
    assert isinstance(defaults.data_dir, Path) and defaults.database_url is None
    given = load_settings(
        env={"OPENAML_PORT": "9000", "OPENAML_JOB_POLL_SECONDS": "2", "OPENAML_ALLOW_ANONYMOUS": "yes"}
    )
    assert (given.port, given.job_poll_seconds, given.allow_anonymous) == (9000, 2.0, True)
    for setting in SETTINGS:
        value = getattr(defaults, setting.name)
        if setting.type in kinds and setting.default is not None:
            assert isinstance(value, kinds[setting.type]), setting.name
    with pytest.raises(AttributeError):
        defaults.no_such_setting  # noqa: B018
