"""``OPENAML_TRUSTED_PROXIES``: whose forwarded headers uvicorn believes (issue 13 item 6)."""

from __future__ import annotations

import pytest

from openaml.cli.proxies import proxy_options, trusted_proxies
from openaml.config import load_settings
from openaml.errors import ConfigurationError


def test_by_default_no_peer_is_trusted_not_even_the_loopback() -> None:
    assert proxy_options(load_settings(env={})) == {"proxy_headers": False}


def test_addresses_and_networks_are_normalised() -> None:
    settings = load_settings(env={"OPENAML_TRUSTED_PROXIES": " 127.0.0.1, 10.1.0.0/16 ,::1,"})
    assert proxy_options(settings) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["127.0.0.1", "10.1.0.0/16", "::1"],
    }


@pytest.mark.parametrize("entry", ["*", "proxy.example", "10.1.0.1/16", "300.1.1.1"])
def test_anything_else_is_refused_with_an_example(entry: str) -> None:
    with pytest.raises(ConfigurationError, match=r"OPENAML_TRUSTED_PROXIES .*10\.1\.0\.0/16"):
        trusted_proxies(entry)
