"""The profile file: where the client commands remember a server's URL and key pair.

One JSON file, by default ``$XDG_CONFIG_HOME/openaml/profile.json`` (``~/.config/openaml/profile.json``)
or ``$OPENAML_PROFILE_FILE``, holding named profiles::

    {"default": {"endpoint_url": "http://127.0.0.1:8080", "region": "us-east-1",
                 "access_key_id": "OAML...", "secret_access_key": "..."}}

``openaml login`` writes it (mode 0600, since it holds a secret); every client command reads the
profile named by ``--profile`` or ``$OPENAML_PROFILE`` (default ``default``) for whatever the flags
and the environment leave unset.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

PROFILE_FILE_ENV = "OPENAML_PROFILE_FILE"
PROFILE_NAME_ENV = "OPENAML_PROFILE"
DEFAULT_PROFILE = "default"
FIELDS = ("endpoint_url", "region", "access_key_id", "secret_access_key")


class ProfileError(Exception):
    """The profile file exists but cannot be used; the message says why and where."""


def profile_path() -> Path:
    """Where the profile file is (whether or not it exists)."""
    if os.environ.get(PROFILE_FILE_ENV):
        return Path(os.environ[PROFILE_FILE_ENV]).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "openaml" / "profile.json"


def _read_all(path: Path) -> dict[str, dict[str, str]]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise ProfileError(f"cannot read the profile file {path}: {error}") from error
    if not isinstance(content, dict) or not all(isinstance(entry, dict) for entry in content.values()):
        raise ProfileError(f"the profile file {path} is not a JSON object of profiles; fix or delete it")
    return {
        name: {key: str(value) for key, value in entry.items() if key in FIELDS}
        for name, entry in content.items()
    }


def read_profile(name: str) -> dict[str, str]:
    """The fields of profile ``name`` (empty when the file or the profile does not exist)."""
    return _read_all(profile_path()).get(name, {})


def write_profile(name: str, fields: dict[str, str]) -> Path:
    """Store profile ``name`` (replacing it, keeping the others) with owner-only permissions."""
    path = profile_path()
    profiles = _read_all(path)
    profiles[name] = {key: fields[key] for key in FIELDS if fields.get(key)}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(profiles, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)
    return path
