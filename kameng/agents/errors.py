from kameng.errors import Conflict, DomainError, InvalidInput, NotFound


class AgentNotFound(NotFound):
    code = "agent_not_found"
    title = "没有这个代理"


class DepthLimitExceeded(DomainError):
    code = "depth_limit_exceeded"
    title = "代理层级已达上限"
    status = 422


class AgentInactive(DomainError):
    code = "agent_inactive"
    title = "代理账户已停用"
    status = 403


class PriceOutOfBounds(DomainError):
    code = "price_out_of_bounds"
    title = "价格须在成本价与面值之间"
    status = 422


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "用户名已被占用"


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    title = "没有这个 API 密钥"


class WeakPassword(InvalidInput):
    """Refused by the password validators (settings.AUTH_PASSWORD_VALIDATORS)."""

    code = "weak_password"
    title = "密码不符合安全要求"
