"""OpenAML's settings, declared once.

Every setting is one row of :data:`SETTINGS`: its name, type, default and help. The same table drives
the environment variables (``OPENAML_<NAME>``), the optional TOML config file, ``openaml config show``
and the settings reference in ``docs/settings.md`` (a test checks that every setting is documented).

Precedence, highest first: explicit overrides (command-line flags), environment variables, the config
file (``OPENAML_CONFIG_FILE`` or ``--config``), the defaults below.

Every setting is a typed attribute of :class:`Settings` (``settings.port`` is an ``int``). The
attribute declarations in :class:`SettingValues` are generated from the table, so mypy sees real
types; a test checks that they match it.

**Adding a setting**: add one :class:`Setting` row to :data:`SETTINGS`, then run, from the checkout,
``python -m openaml.config``: it regenerates the typed declarations in this file and
``docs/settings.md``. (Until then the new attribute works at run time, but mypy does not know it and
``tests/test_config.py`` names the command to run.)
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from openaml.errors import ConfigurationError

ENV_PREFIX = "OPENAML_"


@dataclass(frozen=True)
class Setting:
    """One configurable value: how it is named, parsed and explained."""

    name: str
    type: str  # "str", "int", "float", "bool", "path", "paths", "json", "secret"
    default: Any
    help: str
    #: The values a ``str`` setting may take (empty: any).
    choices: tuple[str, ...] = ()

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def python_type(self) -> str:
        """The type of the setting's value, as written in :class:`SettingValues`."""
        kind = _PYTHON_TYPES[self.type]
        return f"{kind} | None" if self.default is None else kind


#: The Python type of each setting type's values (what :func:`_parse` returns).
_PYTHON_TYPES: Final = {
    "str": "str",
    "secret": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "path": "Path",
    "paths": "tuple[str, ...]",
    "json": "Any",
}


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        "path",
        "./openaml-data",
        "Directory for the embedded database, model artifacts, statistics and logs (the server's own "
        "files: callers may name only its uploads/ folder).",
    ),
    Setting(
        "database_url",
        "str",
        None,
        "SQLAlchemy URL of the metadata database; default: SQLite file metadata.db in the data "
        "directory. PostgreSQL: postgresql+psycopg://user@host:5432/dbname.",
    ),
    Setting(
        "access_key_id",
        "str",
        None,
        "Access key ID clients sign requests with (SigV4). With no key configured anywhere, a pair "
        "is generated on first start and stored in the credentials file.",
    ),
    Setting("secret_access_key", "secret", None, "Secret access key belonging to access_key_id."),
    Setting(
        "credentials_file",
        "path",
        None,
        'JSON file of further key pairs: [{"access_key_id", "secret_access_key", "user_arn"?}]; '
        "default: credentials.json in the data directory (mode 0600).",
    ),
    Setting("allow_anonymous", "bool", False, "Accept unsigned requests. Only for trusted, private set-ups."),
    Setting(
        "trusted_proxies",
        "str",
        None,
        "Comma-separated IP addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto headers are believed; default: none, the client is the connection's peer.",
    ),
    Setting(
        "data_roots",
        "paths",
        (),
        "Locations besides the data directory's uploads/ folder that callers may name for the server to "
        "read and write, separated by the OS "
        "path separator (':' here): local directories, s3://bucket[/prefix], or s3:// for every "
        "bucket.",
    ),
    Setting(
        "s3_endpoint_url",
        "str",
        None,
        "Endpoint URL of an S3-compatible server for s3:// locations; S3 credentials come from the "
        "standard AWS chain (AWS_ACCESS_KEY_ID..., shared config files).",
    ),
    Setting(
        "sql_databases",
        "json",
        {},
        "Databases that CreateDataSourceFromRDS/FromRedshift may query: a JSON object mapping the "
        "InstanceIdentifier/ClusterIdentifier callers give to a SQLAlchemy URL, e.g. "
        '{"sales-db": "postgresql+psycopg://reader@db:5432/sales"}. Callers can never name a host.',
    ),
    Setting(
        "public_url",
        "str",
        None,
        "Absolute URL clients reach this server at, used for real-time EndpointUrl; default: "
        "http://<host>:<port> of the server.",
    ),
    Setting("host", "str", "127.0.0.1", "Interface the HTTP server binds to."),
    Setting("port", "int", 8080, "TCP port of the HTTP server; 0 picks a free port."),
    Setting("workers", "int", 2, "Job worker processes started by `openaml serve` (0 = none)."),
    Setting(
        "http_workers",
        "int",
        1,
        "HTTP serving processes of `openaml serve`; each keeps the real-time models in memory. "
        "Set it to the number of cores for the most Predict throughput.",
    ),
    Setting(
        "endpoint_refresh_seconds",
        "float",
        1.0,
        "How often every serving process syncs its real-time models with the database: the longest "
        "a new endpoint, a deleted one or a new ScoreThreshold takes to reach every process.",
    ),
    Setting(
        "endpoint_max_requests_per_second",
        "int",
        0,
        "Per-endpoint Predict rate limit across the serving processes (0 = no limit); above it "
        "Predict answers LimitExceededException.",
    ),
    Setting(
        "capture_max_bytes_per_model",
        "int",
        256 * 1024 * 1024,
        "Most bytes of captured predictions (openaml.captureRate) kept per model in the data directory; "
        "beyond it the oldest capture files are deleted.",
    ),
    Setting(
        "capture_flush_seconds",
        "float",
        5.0,
        "How often each serving process writes the predictions it captured to a Parquet file "
        "(off the request path).",
    ),
    Setting(
        "capture_buffer_rows",
        "int",
        20_000,
        "Most captured predictions a serving process holds between two writes; more are dropped "
        "(and counted in the log) rather than slowing Predict down.",
    ),
    Setting(
        "job_lease_seconds",
        "float",
        30.0,
        "How long a job stays claimed without a heartbeat before another worker may take it over.",
    ),
    Setting(
        "job_max_attempts", "int", 2, "How often a job is started before it is failed after its workers died."
    ),
    Setting("job_poll_seconds", "float", 0.5, "How often an idle worker looks for new jobs."),
    Setting(
        "schedule_poll_seconds",
        "float",
        10.0,
        "How often each job worker looks for retraining schedules that are due (docs/lifecycle.md).",
    ),
    Setting(
        "max_invalid_records", "int", 10_000, "A datasource fails when more records than this are invalid."
    ),
    Setting("max_record_bytes", "int", 100 * 1024, "Largest accepted record (bytes)."),
    Setting("max_classes", "int", 100, "Most classes a MULTICLASS model may have."),
    Setting(
        "max_request_bytes",
        "int",
        8 * 1024 * 1024,
        "Largest request body the HTTP server accepts (API calls, extension endpoints, console forms); "
        "larger ones are answered 413 RequestTooLargeException before they are read. The largest Amazon "
        "ML requests (a 128 KiB Recipe or DataSchema, JSON-escaped) stay far below the default; raise it "
        "for very long RDS/Redshift SelectSqlQuery texts or big many-record prediction calls.",
    ),
    Setting(
        "header_timeout_seconds",
        "float",
        20.0,
        "How long a client may take to send a request's line and headers (from connecting, or from the "
        "first byte of the next request) before the connection is answered 408 and closed.",
    ),
    Setting(
        "max_header_bytes",
        "int",
        32 * 1024,
        "Largest request line plus headers (bytes); a longer head is answered 431 and the connection closed.",
    ),
    Setting(
        "dask_scheduler",
        "str",
        None,
        "Address of an existing Dask `distributed` scheduler (e.g. tcp://10.0.0.5:8786). When set, "
        "datasource ingest and statistics, the training data read and batch predictions run per input "
        "file on its workers, and the AutoML search runs its trials there (see docs/scale.md); unset, "
        "everything runs in the job worker as before.",
    ),
    Setting(
        "dask_timeout_seconds",
        "float",
        30.0,
        "How long a job waits to connect to the Dask scheduler, or for a lost scheduler to come back, "
        "before it fails with a message saying so.",
    ),
    Setting(
        "dask_retries",
        "int",
        2,
        "How often a Dask task that raised an unexpected error (e.g. a dropped S3 connection) is run "
        "again. A task whose worker died is rescheduled by the scheduler itself "
        "(distributed.scheduler.allowed-failures).",
    ),
    Setting(
        "dask_distributed_fit",
        "str",
        "auto",
        "With a Dask scheduler: when the final LightGBM refit of an AutoML model runs on all its workers "
        "(lightgbm.dask) instead of in the job worker. auto: when the training matrix, three times over, "
        "is more than the smallest worker's memory limit; always; never.",
        choices=("auto", "always", "never"),
    ),
    Setting("log_level", "str", "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR."),
)

_BY_NAME = {s.name: s for s in SETTINGS}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def split_roots(text: str) -> tuple[str, ...]:
    """Split a data-roots string on ``os.pathsep``, keeping ``s3://`` and ``file://`` intact."""
    if os.pathsep != ":":
        return tuple(p for p in text.split(os.pathsep) if p)
    return tuple(p for p in re.split(r":(?!//)", text) if p)


def _parse(setting: Setting, raw: Any) -> Any:
    if raw is None:
        return None
    kind = setting.type
    try:
        if kind in ("str", "secret"):
            if setting.choices and str(raw) not in setting.choices:
                raise ValueError(f"expected one of {', '.join(setting.choices)}")
            return str(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(f"expected true or false, got {raw!r}")
        if kind == "path":
            return Path(str(raw)).expanduser()
        if kind == "paths":
            if isinstance(raw, (list, tuple)):
                return tuple(str(p) for p in raw)
            return split_roots(str(raw))
        if kind == "json":
            return json.loads(raw) if isinstance(raw, str) else raw
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"setting {setting.env_var} has an invalid value {raw!r}: {exc}") from exc
    raise AssertionError(f"unknown setting type {kind}")


#: Every setting's default as a value of its type (the table keeps the documented spelling).
_DEFAULTS: Final = {s.name: _parse(s, s.default) for s in SETTINGS}

_TYPED_BEGIN = "    # --- generated from SETTINGS by `python -m openaml.config`; do not edit ---\n"
_TYPED_END = "    # --- end of generated declarations ---\n"


class SettingValues:
    """The typed value of every setting, one attribute per row of :data:`SETTINGS`.

    Only declarations: :class:`Settings` sets the values. A setting without a default is ``None``
    until set.
    """

    # --- generated from SETTINGS by `python -m openaml.config`; do not edit ---
    data_dir: Path
    database_url: str | None
    access_key_id: str | None
    secret_access_key: str | None
    credentials_file: Path | None
    allow_anonymous: bool
    trusted_proxies: str | None
    data_roots: tuple[str, ...]
    s3_endpoint_url: str | None
    sql_databases: Any
    public_url: str | None
    host: str
    port: int
    workers: int
    http_workers: int
    endpoint_refresh_seconds: float
    endpoint_max_requests_per_second: int
    capture_max_bytes_per_model: int
    capture_flush_seconds: float
    capture_buffer_rows: int
    job_lease_seconds: float
    job_max_attempts: int
    job_poll_seconds: float
    schedule_poll_seconds: float
    max_invalid_records: int
    max_record_bytes: int
    max_classes: int
    max_request_bytes: int
    header_timeout_seconds: float
    max_header_bytes: int
    dask_scheduler: str | None
    dask_timeout_seconds: float
    dask_retries: int
    dask_distributed_fit: str
    log_level: str
    # --- end of generated declarations ---


@dataclass(frozen=True)
class Settings(SettingValues):
    """The effective settings of one server or worker process.

    ``values`` holds what was set (parsed), ``sources`` where each came from; every setting is also
    an attribute: its value, or its default.
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for s in SETTINGS:
            value = self.values[s.name] if s.name in self.values else _DEFAULTS[s.name]
            object.__setattr__(self, s.name, value)

    @property
    def resolved_data_dir(self) -> Path:
        return Path(self.values.get("data_dir") or _BY_NAME["data_dir"].default).expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        url = self.values.get("database_url")
        return str(url) if url else f"sqlite:///{self.resolved_data_dir / 'metadata.db'}"

    @property
    def sqlite_database_files(self) -> tuple[Path, ...]:
        """The SQLite database file and its journal files, when the metadata database is SQLite."""
        url = self.resolved_database_url
        if not url.startswith("sqlite") or "///" not in url:
            return ()
        path = url.split("///", 1)[1].split("?", 1)[0]
        if not path or path == ":memory:":
            return ()
        database = Path(path).absolute()
        return (database, *(database.with_name(database.name + end) for end in ("-wal", "-shm", "-journal")))

    @property
    def resolved_credentials_file(self) -> Path:
        path = self.values.get("credentials_file")
        return Path(path) if path else self.resolved_data_dir / "credentials.json"

    def replace(self, **overrides: Any) -> Settings:
        """A copy with some values replaced (as if given on the command line)."""
        values = dict(self.values)
        sources = dict(self.sources)
        for name, value in overrides.items():
            if name not in _BY_NAME:
                raise KeyError(name)
            if value is not None:
                values[name] = _parse(_BY_NAME[name], value)
                sources[name] = "command line"
        return Settings(values, sources)

    def as_table(self) -> list[tuple[str, str, str]]:
        """(environment variable, shown value, source) for every setting; secrets are masked."""
        rows = []
        for s in SETTINGS:
            value = getattr(self, s.name)
            if s.name == "data_dir":
                value = self.resolved_data_dir
            elif s.name == "database_url":
                value = self.resolved_database_url
            elif s.name == "credentials_file":
                value = self.resolved_credentials_file
            if s.type == "secret" and value:
                shown = "********"
            elif s.type == "paths":
                shown = os.pathsep.join(value) if value else ""
            else:
                shown = "" if value is None else str(value)
            rows.append((s.env_var, shown, self.sources.get(s.name, "default")))
        return rows


def load_settings(
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    read_file: Callable[[Path], bytes] = Path.read_bytes,
) -> Settings:
    """Read settings from the config file, the environment and explicit overrides."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    path = config_file or (
        Path(env[ENV_PREFIX + "CONFIG_FILE"]) if env.get(ENV_PREFIX + "CONFIG_FILE") else None
    )
    if path is not None:
        try:
            table = tomllib.loads(read_file(path).decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"cannot read the config file {path}: {exc}") from exc
        section = table.get("openaml", table)
        for key, raw in section.items():
            if key not in _BY_NAME:
                known = ", ".join(sorted(_BY_NAME))
                raise ConfigurationError(f"unknown setting {key!r} in {path}; known settings: {known}")
            values[key] = _parse(_BY_NAME[key], raw)
            sources[key] = f"file {path}"
    for s in SETTINGS:
        if s.env_var in env:
            values[s.name] = _parse(s, env[s.env_var])
            sources[s.name] = "environment"
    settings = Settings(values, sources)
    if overrides:
        settings = settings.replace(**overrides)
    return settings


def settings_reference() -> str:
    """The Markdown reference of every setting (``docs/settings.md`` is this text; a test keeps it so)."""
    lines = [
        "# Settings",
        "",
        "Every setting is read from an environment variable, or from the optional TOML config file",
        "(`OPENAML_CONFIG_FILE` or `--config`; keys are the names below, at the top level or under an",
        "`[openaml]` table). Precedence: command-line flags, environment, config file, default.",
        "`openaml config show` prints the effective values and where each came from.",
        "This page is generated by `openaml config docs`.",
        "",
        "| environment variable | config key | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = "" if s.default in (None, (), {}) else f"`{s.default}`"
        meaning = s.help.replace("|", "\\|")
        lines.append(f"| `{s.env_var}` | `{s.name}` | {s.type} | {default} | {meaning} |")
    return "\n".join(lines) + "\n"


def typed_declarations() -> str:
    """The body of :class:`SettingValues`: one typed attribute per setting, in table order."""
    return "".join(f"    {s.name}: {s.python_type}\n" for s in SETTINGS)


def _regenerate() -> None:
    """Rewrite the generated declarations in this file and, in a checkout, ``docs/settings.md``."""
    source = Path(__file__)
    text = source.read_text("utf-8")
    start = text.index(_TYPED_BEGIN) + len(_TYPED_BEGIN)
    source.write_text(text[:start] + typed_declarations() + text[text.index(_TYPED_END, start) :], "utf-8")
    print(f"wrote {source}")
    docs = source.parents[2] / "docs" / "settings.md"
    if docs.parent.is_dir():
        docs.write_text(settings_reference(), "utf-8")
        print(f"wrote {docs}")


if __name__ == "__main__":
    _regenerate()
