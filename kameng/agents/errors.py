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


# --- invite links ------------------------------------------------------------------------


class InviteInvalid(NotFound):
    """No usable invite behind this link: unknown, revoked, expired, used up, or its
    agent can no longer take sub-agents. `reason` says which."""

    code = "invite_invalid"
    title = "邀请链接无效或已失效"


class InviteNotFound(NotFound):
    """The agent has no invite with this token (another agent's is not its to revoke)."""

    code = "invite_not_found"
    title = "没有这个邀请链接"


# --- top-up and withdrawal requests --------------------------------------------------------


class RequestNotFound(NotFound):
    code = "request_not_found"
    title = "没有这条申请"


class RequestAlreadyDecided(Conflict):
    """The request was decided otherwise (approved / paid / rejected) already."""

    code = "request_decided"
    title = "该申请已处理，不能再作其他决定"


class TooManyOpenRequests(Conflict):
    code = "too_many_open_requests"
    title = "待处理的申请过多，请等审核后再提交"


class TopUpReferenceUsed(Conflict):
    """This bank transfer is already claimed by a request waiting or approved."""

    code = "topup_reference_used"
    title = "该转账流水号已提交过充值申请"


class WithdrawalReferenceReused(Conflict):
    code = "withdrawal_reference_reused"
    title = "该付款流水号已用于另一笔提现"


class NotAnOperator(DomainError):
    """Only an active staff user decides requests (and is recorded as having done so)."""

    code = "not_an_operator"
    title = "只有运营人员可以处理此申请"
    status = 403


class OperatorNotFound(NotFound):
    code = "operator_not_found"
    title = "没有这个操作员"
