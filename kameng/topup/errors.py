from kameng.errors import Conflict, InvalidInput, NotFound


class AttemptNotFound(NotFound):
    code = "attempt_not_found"


class AttemptFinal(Conflict):
    """The attempt has succeeded or failed: nothing moves it again, not even the operator."""

    code = "attempt_final"


class OperatorNotFound(NotFound):
    code = "operator_not_found"


class ReasonRequired(InvalidInput):
    code = "reason_required"
