from kameng.errors import Conflict, DomainError, InvalidInput, NotFound


class SupplierNotFound(NotFound):
    code = "supplier_not_found"
    title = "没有这个供应商"


class SupplierNotApproved(DomainError):
    code = "supplier_not_approved"
    title = "供应商未通过审核"
    status = 409


class NotLicensed(DomainError):
    """The supplier has no active offer (licence) for this SKU."""

    code = "supplier_not_licensed"
    title = "供应商未获该商品的供货授权"
    status = 409


# --- onboarding (资质审核) ----------------------------------------------------------------


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    title = "没有这份入驻申请"


class ApplicationExists(Conflict):
    """This licence already has an application waiting or approved."""

    code = "application_exists"
    title = "该执照已有待审核或已通过的申请"


class SupplierNameTaken(Conflict):
    code = "supplier_name_taken"
    title = "供应商名称已被占用"


class IllegalDecision(Conflict):
    """The application or supplier is not in a state this decision applies to."""

    code = "illegal_decision"
    title = "申请或供应商当前状态不适用此决定"


# --- payouts -------------------------------------------------------------------------


class InsufficientPayable(DomainError):
    """A payout larger than what the platform owes the supplier."""

    code = "insufficient_payable"
    title = "结算金额超过应付供应商的余额"
    status = 409


class PayoutReferenceReused(Conflict):
    code = "payout_reference_reused"
    title = "该转账流水号已用于另一笔结算"


# --- supplier persons (log-ins) ---------------------------------------------------------
# UsernameTaken and WeakPassword mean what kameng.agents.errors' do (same codes); that app
# sits above this one.


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "用户名已被占用"


class WeakPassword(InvalidInput):
    """Refused by the password validators (settings.AUTH_PASSWORD_VALIDATORS)."""

    code = "weak_password"
    title = "密码不符合安全要求"


class SupplierAccountNotFound(NotFound):
    """The user is no supplier person (it has no SupplierAccount)."""

    code = "supplier_account_not_found"
    title = "该用户不是供应商账号"


class AlreadySupplier(Conflict):
    """The person's account already belongs to a supplier: it applies no more."""

    code = "already_supplier"
    title = "该账号已属于一个供应商"


class ApplicationPending(Conflict):
    """The person has an application waiting for a decision already."""

    code = "application_pending"
    title = "已有待审核的入驻申请"
