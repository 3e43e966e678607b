from kameng.errors import Conflict, DomainError, InvalidInput, NotFound


class AgentNotFound(NotFound):
    code = "agent_not_found"


class DepthLimitExceeded(DomainError):
    code = "depth_limit_exceeded"
    status = 422


class AgentInactive(DomainError):
    code = "agent_inactive"
    status = 403


class PriceOutOfBounds(DomainError):
    code = "price_out_of_bounds"
    status = 422


class UsernameTaken(Conflict):
    code = "username_taken"


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"


class WeakPassword(InvalidInput):
    """Refused by the password validators (settings.AUTH_PASSWORD_VALIDATORS)."""

    code = "weak_password"
