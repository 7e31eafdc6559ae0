"""The access key pairs the server accepts.

Keys come from ``OPENAML_ACCESS_KEY_ID``/``OPENAML_SECRET_ACCESS_KEY`` and from the credentials file
(a JSON list of ``{"access_key_id", "secret_access_key", "user_arn"?}``). When neither holds a key,
the server generates one pair on first start and stores it in the credentials file with mode 0600.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from openaml.config import Settings
from openaml.errors import ConfigurationError

DEFAULT_ACCOUNT = "000000000000"


@dataclass(frozen=True)
class KeyPair:
    access_key_id: str
    secret_access_key: str
    user_arn: str


def default_user_arn(access_key_id: str) -> str:
    return f"arn:aws:iam::{DEFAULT_ACCOUNT}:user/{access_key_id}"


def _read_file(path: Path) -> list[KeyPair]:
    try:
        entries = json.loads(path.read_text("utf-8"))
        return [
            KeyPair(
                e["access_key_id"],
                e["secret_access_key"],
                e.get("user_arn") or default_user_arn(e["access_key_id"]),
            )
            for e in entries
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            f"cannot read the credentials file {path}: {exc}. It must be a JSON list of objects with "
            "access_key_id and secret_access_key."
        ) from exc


def _write_file(path: Path, pairs: list[KeyPair]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump([p.__dict__ for p in pairs], handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def generate_key_pair() -> KeyPair:
    access_key_id = "OAML" + "".join(
        secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)
    )
    secret = secrets.token_urlsafe(30)
    return KeyPair(access_key_id, secret, default_user_arn(access_key_id))


def load_key_pairs(settings: Settings, *, generate: bool) -> tuple[list[KeyPair], KeyPair | None]:
    """All configured key pairs, and the pair generated now (if ``generate`` and none was configured)."""
    pairs: list[KeyPair] = []
    if settings.access_key_id or settings.secret_access_key:
        if not (settings.access_key_id and settings.secret_access_key):
            raise ConfigurationError(
                "set both OPENAML_ACCESS_KEY_ID and OPENAML_SECRET_ACCESS_KEY, or neither."
            )
        pairs.append(
            KeyPair(
                settings.access_key_id, settings.secret_access_key, default_user_arn(settings.access_key_id)
            )
        )
    path = settings.resolved_credentials_file
    if path.exists():
        pairs.extend(_read_file(path))
    generated = None
    if not pairs and generate:
        generated = generate_key_pair()
        _write_file(path, [generated])
        pairs.append(generated)
    return pairs, generated
