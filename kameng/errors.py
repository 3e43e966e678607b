"""Domain errors: each has a stable machine-readable code and an HTTP status.

Services raise them; the API, web pages and CLI translate them in one place each.
"""


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, **self.details}}


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400
