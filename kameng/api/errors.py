"""Why a request was refused before it reached any service."""

from kameng.errors import DomainError


class Unauthenticated(DomainError):
    """401: the request is not provably from a live key; nothing was done."""

    status = 401
    title = "请求签名未通过验证"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class RateLimited(DomainError):
    code = "rate_limited"
    title = "请求过于频繁，请稍后再试"
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests for this key; retry after {retry_after} s")
        self.retry_after = retry_after
