from kameng.errors import Conflict, InvalidInput


class NoCallbackUrl(Conflict):
    code = "no_callback_url"


class InvalidCallbackUrl(InvalidInput):
    """A callback_url Kameng will not send to: malformed, or not a public address."""

    code = "invalid_callback_url"
