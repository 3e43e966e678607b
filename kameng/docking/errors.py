from kameng.errors import DomainError, InvalidInput, NotFound


class ConnectionNotFound(NotFound):
    code = "connection_not_found"
    title = "没有这个对接站点"


class BadPriceRule(InvalidInput):
    """A markup below zero (it could sell below cost), or a rounding we do not know."""

    code = "bad_price_rule"
    title = "加价规则不正确"


class UpstreamUnreachable(DomainError):
    """The upstream site did not answer, or answered something that is not its API."""

    code = "upstream_unreachable"
    title = "上游站点无法访问"
    status = 502
