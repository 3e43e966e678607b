"""Why the supplier callback endpoint refused a request (each one recorded, unless its
address is over the limit of recorded failures)."""

from kameng.errors import Conflict, DomainError, InvalidInput, NotFound


class CallbackTooLarge(DomainError):
    code = "callback_too_large"
    status = 413


class BadCallbackBody(InvalidInput):
    """Not in the supplier protocol's format at all (not JSON, not a flat object)."""

    code = "malformed_callback"


class CallbacksThrottled(DomainError):
    """This address sent too many callbacks that failed: further failures are not
    recorded until the window ends. (A callback that verifies is still applied.)"""

    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed callbacks from this address; retry after {retry_after} s"
        )
        self.retry_after = retry_after


class AttemptNotFound(NotFound):
    code = "attempt_not_found"


class AttemptFinal(Conflict):
    """The attempt has succeeded or failed: nothing moves it again, not even the operator."""

    code = "attempt_final"


class OperatorNotFound(NotFound):
    code = "operator_not_found"


class ReasonRequired(InvalidInput):
    code = "reason_required"
