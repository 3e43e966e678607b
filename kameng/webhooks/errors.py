from kameng.errors import Conflict


class NoCallbackUrl(Conflict):
    code = "no_callback_url"
    title = "该订单没有回调地址"
