from kameng.errors import DomainError, InvalidInput


class UnknownAdapter(InvalidInput):
    """No protocol adapter of that name (kameng.upstream.adapters.REGISTRY)."""

    title = "没有这种对接协议"


class ApiSettingsIncomplete(InvalidInput):
    """An API supplier needs an http(s) base URL, a merchant id and a secret; `missing`
    names which of base_url, merchant_id, secret were not given."""

    title = "API 对接需要填写 API 地址、商户号和 API 密钥"


class ConnectionFailed(DomainError):
    """The supplier's API did not answer, or answered something that cannot be trusted
    (wrong signature, garbage): `detail` says what (pages show "连接失败: <detail>")."""

    code = "supplier_connection_failed"
    title = "连接失败"
    status = 502
