"""Verification of AWS Signature Version 4 as botocore signs requests.

The canonical request is rebuilt from the raw request exactly as the client saw it (path as sent,
only the headers the client listed in ``SignedHeaders``, SHA-256 of the body bytes) and the signature
is recomputed with the region and service of the credential scope. Failures raise the error codes
AWS services use, so boto3 users see familiar ``ClientError`` codes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import urllib.parse
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from openaml.entities import Caller
from openaml.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

SERVICE = "machinelearning"
MAX_CLOCK_SKEW = timedelta(minutes=15)
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
    """Check a request's SigV4 signature; return who signed it or raise the matching AWS error.

    ``headers`` must have lower-case names. ``principal_for`` maps an access key ID to
    ``(secret_access_key, user_arn)`` or ``None`` when the key is unknown.
    """
    authorization = headers.get("authorization")
    if not authorization:
        raise MissingAuthenticationTokenException("Missing Authentication Token")
    match = _AUTH_RE.fullmatch(authorization.strip())
    if match is None:
        raise IncompleteSignatureException(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters "
            "in the AWS4-HMAC-SHA256 format."
        )
    amz_date = headers.get("x-amz-date", "")
    signed = match["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        raise IncompleteSignatureException("The 'host' and 'x-amz-date' headers must be signed.")
    if not re.fullmatch(r"\d{8}T\d{6}Z", amz_date) or match["date"] != amz_date[:8]:
        raise IncompleteSignatureException(
            f"Date in Credential scope does not match YYYYMMDD from X-Amz-Date ({amz_date or 'missing'})."
        )
    if match["service"] != SERVICE:
        raise InvalidSignatureException(
            f"Credential should be scoped to correct service: '{SERVICE}', not '{match['service']}'."
        )
    request_time = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    if abs(current - request_time) > MAX_CLOCK_SKEW:
        raise InvalidSignatureException(
            f"Signature expired: {amz_date} is now earlier than "
            f"{(current - MAX_CLOCK_SKEW).strftime('%Y%m%dT%H%M%SZ')} "
            f"({current.strftime('%Y%m%dT%H%M%SZ')} - 15 min.)"
            if request_time < current
            else f"Signature not yet current: {amz_date} is still later than "
            f"{(current + MAX_CLOCK_SKEW).strftime('%Y%m%dT%H%M%SZ')}."
        )
    found = principal_for(match["akid"])
    if found is None:
        raise UnrecognizedClientException("The security token included in the request is invalid.")
    secret, user_arn = found
    canonical_headers = "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed)
    payload_hash = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical_request = "\n".join(
        [method.upper(), canonical_uri(raw_path), canonical_query(query), canonical_headers,
         match["signed"], payload_hash]
    )
    scope = f"{match['date']}/{match['region']}/{match['service']}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _signing_key(secret, match["date"], match["region"], match["service"])
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["signature"]):
        raise InvalidSignatureException(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )
    return Caller(match["akid"], user_arn)
