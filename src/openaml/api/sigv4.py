"""Verification of AWS Signature Version 4 as botocore signs requests.

Both forms are accepted: the ``Authorization`` header boto3 sends, and presigned URLs whose signature
travels in the query string (the server hands those out as ``LogUri`` so a person can open a log in
a browser; botocore's ``SigV4QueryAuth`` makes the same kind). The canonical request is rebuilt from the raw
request exactly as the client saw it (path as sent, only the headers the client listed in ``SignedHeaders``)
and the signature is recomputed with the region and service of the credential scope.

The payload hash is always the SHA-256 of the body the server received: a client-supplied
``X-Amz-Content-Sha256`` must equal it, so a captured request cannot carry another body under its
signature. The one exception is ``UNSIGNED-PAYLOAD`` in a presigned ``GET`` (as S3 presigned URLs and this
server's ``LogUri`` use), which has no body to protect.

Verification runs in two steps so that a request can be refused from its headers alone, before its body
is read: :func:`check_headers` (form, scope, time, known key) and :meth:`PendingSignature.verify` (the
signature over the body). Failures raise the error codes AWS services use, so boto3 users see familiar
``ClientError`` codes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from openaml.entities import Caller
from openaml.errors import (
    AccessDeniedException,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

SERVICE = "machinelearning"
MAX_CLOCK_SKEW = timedelta(minutes=15)
MAX_PRESIGNED_EXPIRY_SECONDS = 7 * 24 * 3600
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_SHA256_HEX_RE = re.compile(r"[0-9a-f]{64}")
_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<akid>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/"
    r"(?P<service>[^/,\s]+)/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;\-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})\s*"
)


def canonical_uri(path: str) -> str:
    """The canonical URI of a raw request path (dot segments resolved, empty segments dropped)."""
    segments: list[str] = []
    for segment in (path or "/").split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    result = "/" + "/".join(segments) + ("/" if path.endswith("/") and segments else "")
    return urllib.parse.quote(result, safe="/~")


def canonical_query(query: str) -> str:
    """The canonical query string: pairs sorted, names and values percent-encoded as SigV4 requires."""
    if not query:
        return ""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    encoded = sorted(
        (urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~")) for k, v in pairs
    )
    return "&".join(f"{k}={v}" for k, v in encoded)


@lru_cache(maxsize=256)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


@dataclass(frozen=True)
class _SignedParts:
    """The signature parameters of a request, from its Authorization header or its query string."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: str
    signature: str
    amz_date: str
    canonical_query: str
    expires_seconds: int | None  # presigned URLs only


def _from_header(authorization: str, query: str, headers: Mapping[str, str]) -> _SignedParts:
    match = _AUTH_RE.fullmatch(authorization.strip())
    if match is None:
        raise IncompleteSignatureException(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters "
            "in the AWS4-HMAC-SHA256 format."
        )
    return _SignedParts(
        match["akid"],
        match["date"],
        match["region"],
        match["service"],
        match["signed"],
        match["signature"],
        headers.get("x-amz-date", ""),
        canonical_query(query),
        None,
    )


def _from_query(params: dict[str, str], query: str) -> _SignedParts:
    try:
        akid, date, region, service, terminal = params["X-Amz-Credential"].split("/")
        if not re.fullmatch(r"[0-9]{1,7}", params["X-Amz-Expires"]):
            raise ValueError("X-Amz-Expires is not a number of seconds")
        expires = int(params["X-Amz-Expires"])
        signed, signature, amz_date = (
            params["X-Amz-SignedHeaders"],
            params["X-Amz-Signature"],
            params["X-Amz-Date"],
        )
    except (KeyError, ValueError) as exc:
        raise IncompleteSignatureException(
            "A presigned URL needs X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, "
            "X-Amz-SignedHeaders and X-Amz-Signature."
        ) from exc
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or terminal != "aws4_request":
        raise IncompleteSignatureException("Only AWS4-HMAC-SHA256 presigned URLs are supported.")
    if not 1 <= expires <= MAX_PRESIGNED_EXPIRY_SECONDS:
        raise IncompleteSignatureException(
            f"X-Amz-Expires must be between 1 and {MAX_PRESIGNED_EXPIRY_SECONDS} seconds."
        )
    unsigned_query = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Signature="))
    return _SignedParts(
        akid,
        date,
        region,
        service,
        signed,
        signature,
        amz_date,
        canonical_query(unsigned_query),
        expires,
    )


@lru_cache(maxsize=64)
def _request_time(amz_date: str) -> datetime:
    """``X-Amz-Date`` as a time (cached: under load many requests carry the same second)."""
    try:
        return datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise IncompleteSignatureException(f"X-Amz-Date is not a valid date and time ({amz_date}).") from None


def _check_time(parts: _SignedParts, current: datetime) -> None:
    request_time = _request_time(parts.amz_date)
    if parts.expires_seconds is not None:
        if current > request_time + timedelta(seconds=parts.expires_seconds):
            raise AccessDeniedException("Request has expired: this presigned URL is no longer valid.")
        if request_time - current > MAX_CLOCK_SKEW:
            raise AccessDeniedException("Request is not yet valid: X-Amz-Date is in the future.")
        return
    if current - request_time > MAX_CLOCK_SKEW:
        raise InvalidSignatureException(
            f"Signature expired: {parts.amz_date} is now earlier than "
            f"{(current - MAX_CLOCK_SKEW).strftime('%Y%m%dT%H%M%SZ')} "
            f"({current.strftime('%Y%m%dT%H%M%SZ')} - 15 min.)"
        )
    if request_time - current > MAX_CLOCK_SKEW:
        raise InvalidSignatureException(
            f"Signature not yet current: {parts.amz_date} is still later than "
            f"{(current + MAX_CLOCK_SKEW).strftime('%Y%m%dT%H%M%SZ')} "
            f"({current.strftime('%Y%m%dT%H%M%SZ')} + 15 min.)"
        )


def _signature(
    parts: _SignedParts,
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    payload_hash: str,
    secret: str,
) -> str:
    names = parts.signed_headers.split(";")
    canonical_headers = "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in names)
    canonical_request = "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            parts.canonical_query,
            canonical_headers,
            parts.signed_headers,
            payload_hash,
        ]
    )
    scope = f"{parts.date}/{parts.region}/{parts.service}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", parts.amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _signing_key(secret, parts.date, parts.region, parts.service)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _is_presigned_get(parts: _SignedParts, method: str) -> bool:
    return parts.expires_seconds is not None and method.upper() == "GET"


def _unsigned_allowed(parts: _SignedParts, method: str, claimed: str) -> bool:
    """``UNSIGNED-PAYLOAD`` is only accepted on a presigned GET, which has no body to protect."""
    return claimed.strip() == UNSIGNED_PAYLOAD and _is_presigned_get(parts, method)


@dataclass(frozen=True)
class PendingSignature:
    """A request whose headers passed :func:`check_headers`; :meth:`verify` checks it over its body."""

    parts: _SignedParts
    method: str
    raw_path: str
    headers: Mapping[str, str]
    secret: str
    caller: Caller

    def verify(self, body: bytes) -> Caller:
        """Check the signature over the body received; return who signed the request or raise."""
        body_hash = hashlib.sha256(body).hexdigest()
        presigned_get = _is_presigned_get(self.parts, self.method)
        claimed = self.headers.get("x-amz-content-sha256")
        if (
            claimed is not None
            and claimed.strip().lower() != body_hash
            and not _unsigned_allowed(self.parts, self.method, claimed)
        ):
            raise InvalidSignatureException(
                "The X-Amz-Content-Sha256 header does not match the SHA-256 of the request body; "
                "the payload hash is always computed from the body received."
            )
        candidates = [body_hash, UNSIGNED_PAYLOAD] if presigned_get else [body_hash]
        for payload_hash in candidates:
            expected = _signature(
                self.parts, self.method, self.raw_path, self.headers, payload_hash, self.secret
            )
            if hmac.compare_digest(expected, self.parts.signature):
                return self.caller
        raise InvalidSignatureException(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )


def has_signature(query: str, headers: Mapping[str, str]) -> bool:
    """Whether a request carries SigV4 credentials at all (an Authorization header or a presigned query)."""
    if headers.get("authorization"):
        return True
    return any(pair.split("=", 1)[0] == "X-Amz-Signature" for pair in query.split("&"))


#: Headers of OpenAML's own that change what a request does (``X-OpenAML-Explain``), so a signed
#: request must sign them: without that, anyone on the path could add or change them.
SIGNED_HEADER_PREFIX = "x-openaml-"


def check_headers(
    *,
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    principal_for: Callable[[str], tuple[str, str] | None],
    now: datetime | None = None,
) -> PendingSignature:
    """Everything SigV4 asks of a request that needs no body: form, scope, time and a known access key.

    A request refused here is refused before its body is read. ``headers`` must have lower-case names;
    ``principal_for`` maps an access key ID to ``(secret_access_key, user_arn)`` or ``None``.
    """
    authorization = headers.get("authorization")
    if authorization:
        parts = _from_header(authorization, query, headers)
    elif has_signature(query, headers):
        parts = _from_query(dict(urllib.parse.parse_qsl(query, keep_blank_values=True)), query)
    else:
        raise MissingAuthenticationTokenException("Missing Authentication Token")
    signed = parts.signed_headers.split(";")
    if "host" not in signed or (parts.expires_seconds is None and "x-amz-date" not in signed):
        raise IncompleteSignatureException("The 'host' and 'x-amz-date' headers must be signed.")
    unsigned = sorted(
        name for name in headers if name.startswith(SIGNED_HEADER_PREFIX) and name not in signed
    )
    if unsigned:
        raise IncompleteSignatureException(
            f"The {', '.join(repr(name) for name in unsigned)} header must be signed (listed in "
            "SignedHeaders): it changes what the request does. boto3 signs a header added in a "
            "'before-sign' event handler."
        )
    if not re.fullmatch(r"\d{8}T\d{6}Z", parts.amz_date) or parts.date != parts.amz_date[:8]:
        raise IncompleteSignatureException(
            "Date in Credential scope does not match YYYYMMDD from X-Amz-Date "
            f"({parts.amz_date or 'missing'})."
        )
    if parts.service != SERVICE:
        raise InvalidSignatureException(
            f"Credential should be scoped to correct service: '{SERVICE}', not '{parts.service}'."
        )
    claimed = headers.get("x-amz-content-sha256")
    if (
        claimed is not None
        and not _SHA256_HEX_RE.fullmatch(claimed.strip().lower())
        and not _unsigned_allowed(parts, method, claimed)
    ):
        raise InvalidSignatureException(
            "X-Amz-Content-Sha256 must be the hex SHA-256 of the request body "
            "(UNSIGNED-PAYLOAD is accepted on presigned GET URLs only)."
        )
    _check_time(parts, now or datetime.now(UTC))
    found = principal_for(parts.access_key_id)
    if found is None:
        raise UnrecognizedClientException("The security token included in the request is invalid.")
    secret, user_arn = found
    return PendingSignature(parts, method, raw_path, headers, secret, Caller(parts.access_key_id, user_arn))


def verify_request(
    *,
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    principal_for: Callable[[str], tuple[str, str] | None],
    now: datetime | None = None,
) -> Caller:
    """Check a request's SigV4 signature (header or presigned URL); return who signed it or raise.

    The two steps of :func:`check_headers` and :meth:`PendingSignature.verify` in one call.
    """
    pending = check_headers(
        method=method, raw_path=raw_path, query=query, headers=headers, principal_for=principal_for, now=now
    )
    return pending.verify(body)


def presign_url(
    url: str,
    access_key_id: str,
    secret: str,
    *,
    expires_seconds: int = 3600,
    region: str = "us-east-1",
    now: datetime | None = None,
) -> str:
    """A GET URL signed in its query string (like an S3 presigned URL) that anyone holding it may open."""
    split = urllib.parse.urlsplit(url)
    current = now or datetime.now(UTC)
    amz_date = current.strftime("%Y%m%dT%H%M%SZ")
    params = [
        *urllib.parse.parse_qsl(split.query, keep_blank_values=True),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", f"{access_key_id}/{amz_date[:8]}/{region}/{SERVICE}/aws4_request"),
        ("X-Amz-Date", amz_date),
        ("X-Amz-Expires", str(expires_seconds)),
        ("X-Amz-SignedHeaders", "host"),
    ]
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    parts = _SignedParts(
        access_key_id,
        amz_date[:8],
        region,
        SERVICE,
        "host",
        "",
        amz_date,
        canonical_query(query),
        expires_seconds,
    )
    signature = _signature(parts, "GET", split.path or "/", {"host": split.netloc}, UNSIGNED_PAYLOAD, secret)
    return urllib.parse.urlunsplit(
        (split.scheme, split.netloc, split.path, f"{query}&X-Amz-Signature={signature}", "")
    )
