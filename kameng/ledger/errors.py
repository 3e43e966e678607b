from kameng.errors import Conflict, DomainError


class InsufficientBalance(DomainError):
    code = "insufficient_balance"
    title = "余额不足"
    status = 402


class UnbalancedJournal(DomainError):
    code = "unbalanced_journal"
    title = "记账凭证借贷不平"


class AlreadyPosted(Conflict):
    code = "already_posted"
    title = "该笔款项已经入账"
