"""The errors OpenAML reports to callers.

Each class is one Amazon ML (or AWS protocol) error: it carries the wire code that becomes the
``__type`` of the JSON error envelope and the HTTP status it is sent with. Only the protocol edge
(``openaml.api``) turns them into HTTP responses; every other layer just raises them.
"""

from __future__ import annotations


class OpenAMLError(Exception):
    """Base of every error that is reported to a caller with a code and a message."""

    code: str = "InternalServerException"
    status: int = 500
    #: Modeled Amazon ML errors carry an integer ``code`` member; we send the HTTP status there.
    has_code_member: bool = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- The eight errors of the Amazon ML service model -------------------------------------------


class InvalidInputException(OpenAMLError):
    """A parameter is missing, malformed, out of range, or the request does not fit the object's state."""

    code = "InvalidInputException"
    status = 400


class ResourceNotFoundException(OpenAMLError):
    """No object with the given ID exists."""

    code = "ResourceNotFoundException"
    status = 404


class IdempotentParameterMismatchException(OpenAMLError):
    """A ``Create*`` call reused an ID with different parameters."""

    code = "IdempotentParameterMismatchException"
    status = 400


class LimitExceededException(OpenAMLError):
    """A limit was exceeded: request rate, record size, number of classes, and the like."""

    code = "LimitExceededException"
    status = 417


class PredictorNotMountedException(OpenAMLError):
    """``Predict`` was called for a model without a READY real-time endpoint."""

    code = "PredictorNotMountedException"
    status = 400
    has_code_member = False


class InternalServerException(OpenAMLError):
    """An unexpected failure inside the server (a bug, or a broken back end)."""

    code = "InternalServerException"
    status = 500


class InvalidTagException(OpenAMLError):
    """A tag key or value is not allowed."""

    code = "InvalidTagException"
    status = 400
    has_code_member = False


class TagLimitExceededException(OpenAMLError):
    """The object would carry more tags than allowed."""

    code = "TagLimitExceededException"
    status = 400
    has_code_member = False


# --- Protocol and authentication errors (not in the service model; names other AWS JSON services use)


class ProtocolError(OpenAMLError):
    """Base of the errors raised before an operation runs; they carry no ``code`` member."""

    has_code_member = False


class UnknownOperationException(ProtocolError):
    code = "UnknownOperationException"
    status = 400


class SerializationException(ProtocolError):
    """The body is not a JSON object, or the content type is not JSON."""

    code = "SerializationException"
    status = 400


class NotImplementedException(ProtocolError):
    """A capability this OpenAML version does not offer."""

    code = "NotImplementedException"
    status = 501


class MissingAuthenticationTokenException(ProtocolError):
    code = "MissingAuthenticationTokenException"
    status = 403


class IncompleteSignatureException(ProtocolError):
    code = "IncompleteSignatureException"
    status = 400


class InvalidSignatureException(ProtocolError):
    code = "InvalidSignatureException"
    status = 403


class UnrecognizedClientException(ProtocolError):
    code = "UnrecognizedClientException"
    status = 403


class AccessDeniedException(ProtocolError):
    code = "AccessDeniedException"
    status = 403


class NotFoundException(ProtocolError):
    """An extension endpoint path that does not exist."""

    code = "NotFoundException"
    status = 404


class MethodNotAllowedException(ProtocolError):
    """An extension endpoint path exists, but not with this HTTP method."""

    code = "MethodNotAllowedException"
    status = 405


class RequestTooLargeException(ProtocolError):
    """The request body is larger than the server accepts (``OPENAML_MAX_REQUEST_BYTES``)."""

    code = "RequestTooLargeException"
    status = 413


class ConfigurationError(Exception):
    """The server's own settings are wrong; raised at start-up with a message for the operator."""
