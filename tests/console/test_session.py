"""Console sessions: signed cookies, key checks, expiry and CSRF tokens."""

from __future__ import annotations

import dataclasses
import time

from openaml.api.credentials import KeyPair
from openaml.console.session import Session, SessionSigner

PAIR = KeyPair("AKIDCONSOLE0001", "secret-one", "arn:aws:iam::000000000000:user/one")
OTHER = KeyPair("AKIDCONSOLE0002", "secret-two", "arn:aws:iam::000000000000:user/two")


def test_sign_in_needs_a_configured_pair() -> None:
    signer = SessionSigner([PAIR, OTHER])
    assert signer.sign_in(PAIR.access_key_id, "wrong") is None
    assert signer.sign_in("AKIDUNKNOWN", PAIR.secret_access_key) is None
    session = signer.sign_in(f" {OTHER.access_key_id} ", OTHER.secret_access_key)
    assert session is not None and session.signed_in
    assert signer.caller(session).user_arn == OTHER.user_arn


def test_a_cookie_round_trips_and_resists_tampering() -> None:
    signer = SessionSigner([PAIR])
    session = signer.sign_in(PAIR.access_key_id, PAIR.secret_access_key)
    assert session is not None
    cookie = signer.encode(session)
    assert signer.decode(cookie) == dataclasses.replace(session, expires_at=int(session.expires_at))
    body, mac = cookie.rsplit(".", 1)
    assert signer.decode(body[:-2] + "AA." + mac) is None
    assert signer.decode(cookie + "x") is None
    assert signer.decode(None) is None and signer.decode("garbage") is None


def test_sessions_end_when_they_expire_or_the_keys_change() -> None:
    signer = SessionSigner([PAIR])
    expired = Session("nonce", time.time() - 1, PAIR.access_key_id)
    assert signer.decode(signer.encode(expired)) is None
    session = signer.sign_in(PAIR.access_key_id, PAIR.secret_access_key)
    assert session is not None
    assert SessionSigner([OTHER]).decode(signer.encode(session)) is None
    assert SessionSigner([PAIR]).decode(signer.encode(session)) is not None, "another process agrees"


def test_csrf_tokens_belong_to_one_session() -> None:
    signer = SessionSigner([PAIR])
    first, second = signer.anonymous(), signer.anonymous()
    assert signer.check_csrf(first, signer.csrf_token(first))
    assert not signer.check_csrf(second, signer.csrf_token(first))
    assert not signer.check_csrf(first, None)


def test_without_keys_nobody_signs_in() -> None:
    signer = SessionSigner([])
    assert not signer.has_keys
    assert signer.sign_in("", "") is None
