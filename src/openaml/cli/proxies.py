"""Which peers may tell the server the client's address: ``OPENAML_TRUSTED_PROXIES``.

uvicorn on its own believes ``X-Forwarded-For`` and ``X-Forwarded-Proto`` from 127.0.0.1, so any
local process (or a proxy that passes the headers through unchanged) could claim to be any client.
OpenAML believes them only from the addresses and networks listed in the setting, and from nobody
by default: the client address is then the connection's peer.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from openaml.config import Settings
from openaml.errors import ConfigurationError


def trusted_proxies(text: str | None) -> list[str]:
    """The IP addresses and networks of a comma-separated list, normalised; a clear error for others."""
    trusted = []
    for entry in (part.strip() for part in (text or "").split(",")):
        if not entry:
            continue
        try:
            trusted.append(str(ipaddress.ip_network(entry) if "/" in entry else ipaddress.ip_address(entry)))
        except ValueError as exc:
            raise ConfigurationError(
                f"OPENAML_TRUSTED_PROXIES has {entry!r}, which is not an IP address or network "
                f"({exc}); give comma-separated addresses or networks such as 10.0.0.5,10.1.0.0/16."
            ) from exc
    return trusted


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for forwarded headers: honoured only from the trusted proxies."""
    trusted = trusted_proxies(settings.trusted_proxies)
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}
