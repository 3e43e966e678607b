from kameng.errors import Conflict


class NoCallbackUrl(Conflict):
    code = "no_callback_url"
