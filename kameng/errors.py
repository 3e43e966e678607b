"""Domain errors: each has a stable machine-readable code and an HTTP status.

Services raise them; the API, web pages and CLI translate them in one place each.
One language per sentence: `message` is English (open API, CLI, logs: it may name ids
and amounts); `title` is the short Chinese sentence pages show (admin, consoles).
"""


class DomainError(Exception):
    code = "error"
    status = 400
    title = "操作未完成"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, **self.details}}


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = "没有找到"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "与当前状态冲突"


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400
    title = "输入不符合要求"


class ReasonRequired(InvalidInput):
    """A decision that must say why (rejecting, suspending, resolving by hand)."""

    code = "reason_required"
    title = "此操作必须填写理由"
