"""Why a storefront verb refused: stable codes, English messages, Chinese titles."""

from kameng.errors import Conflict, DomainError, InvalidInput, NotFound
from kameng.orders.errors import InvalidRechargeAccount as OrdersInvalidRechargeAccount
from kameng.orders.errors import PriceBelowCost

__all__ = [
    "AccountsDoNotMatch",
    "CouponCodeTaken",
    "CouponExpired",
    "CouponNotApplicable",
    "CouponNotFound",
    "CouponUsedUp",
    "InvalidColour",
    "InvalidContact",
    "InvalidCouponCode",
    "InvalidLogo",
    "InvalidPaymentType",
    "InvalidRechargeAccount",
    "InvalidSlug",
    "LookupFailed",
    "PlatformStorefrontExists",
    "PriceBelowCost",
    "PriceTierNotFound",
    "RateLimited",
    "SlugTaken",
    "StorefrontNotFound",
    "TierPriceOutOfBounds",
    "TooManyOpenOrders",
]


# --- the shop ------------------------------------------------------------------------


class StorefrontNotFound(NotFound):
    code = "storefront_not_found"
    title = "没有这个店铺"


class SlugTaken(Conflict):
    code = "slug_taken"
    title = "店铺地址已被占用"


class InvalidSlug(InvalidInput):
    code = "invalid_slug"
    title = "店铺地址须为 3–32 位小写字母、数字或连字符"


class InvalidColour(InvalidInput):
    code = "invalid_colour"
    title = "主题色须为 #RRGGBB 格式"


class InvalidLogo(InvalidInput):
    code = "invalid_logo"
    title = "店铺标志须为图片（PNG、JPEG 或 WEBP），不超过 512 KB"


class PlatformStorefrontExists(Conflict):
    """Only one shop is the platform's own (served at /)."""

    code = "platform_storefront_exists"
    title = "已有平台自营店铺"


# --- coupons and prices ----------------------------------------------------------------


class InvalidCouponCode(InvalidInput):
    code = "invalid_coupon_code"
    title = "优惠码须为 3–32 位字母、数字或连字符"


class CouponCodeTaken(Conflict):
    code = "coupon_code_taken"
    title = "优惠码已存在"


class CouponNotFound(NotFound):
    """No such code for this shop, or the shop switched it off: the buyer cannot tell."""

    code = "coupon_not_found"
    title = "优惠码无效"


class CouponExpired(DomainError):
    code = "coupon_expired"
    title = "优惠券已过期"
    status = 409


class CouponUsedUp(Conflict):
    code = "coupon_used_up"
    title = "优惠券已被用完"


class CouponNotApplicable(DomainError):
    """Not for this SKU, or the order is below the coupon's minimum."""

    code = "coupon_not_applicable"
    title = "该优惠券不适用于此商品或未达到使用门槛"
    status = 422


class TierPriceOutOfBounds(DomainError):
    code = "tier_price_out_of_bounds"
    title = "阶梯价须在成本价与零售价之间"
    status = 422


class PriceTierNotFound(NotFound):
    code = "price_tier_not_found"
    title = "没有这个阶梯价"


# --- checkout and the buyer's own pages ----------------------------------------------------


class InvalidContact(InvalidInput):
    code = "invalid_contact"
    title = "联系方式须为邮箱或 11 位手机号"


class AccountsDoNotMatch(InvalidInput):
    code = "accounts_do_not_match"
    title = "两次输入的充值账号不一致"


class InvalidRechargeAccount(OrdersInvalidRechargeAccount):
    """The account does not fit the SKU: a mobile number for phone credit and data, a
    game or member account (3–64 letters, digits or _@.+-) for other top-ups, none for
    card codes."""

    code = "invalid_recharge_account"
    title = "充值账号格式不正确"


class InvalidPaymentType(InvalidInput):
    code = "invalid_payment_type"
    title = "不支持的支付方式"


class TooManyOpenOrders(DomainError):
    """One contact or one address holds the most unpaid orders allowed at once
    (KAMENG_STOREFRONT_MAX_OPEN_ORDERS): they hold stock for the payment window."""

    code = "too_many_open_orders"
    title = "未支付的订单过多，请先支付或等待其关闭"
    status = 429


class LookupFailed(NotFound):
    """The one answer for every mismatch of order number, contact and password: which
    part was wrong is never told."""

    code = "lookup_failed"
    title = "订单号、联系方式或查询密码不正确"

    def __init__(self) -> None:
        super().__init__("no order matches this order number, contact and query password")


class RateLimited(DomainError):
    code = "rate_limited"
    title = "操作过于频繁，请稍后再试"
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts from this address; retry after {retry_after} s")
        self.retry_after = retry_after
