from kameng.errors import Conflict, DomainError


class InsufficientBalance(DomainError):
    code = "insufficient_balance"
    status = 402


class UnbalancedJournal(DomainError):
    code = "unbalanced_journal"


class AlreadyPosted(Conflict):
    code = "already_posted"
