"""What the order services hand to risk control, and what they get back: the contract
between `risk` and its callers (orders, storefront, api, console, the CLI).

Every order is scored before money moves: the edge (a storefront page, the open API, a
console page, the CLI) says where the order comes from (`Origin`), the order service
adds what is bought (`OrderFacts`) and calls `risk.services.score(facts)`, which returns
a `Verdict`: allow, review (the order is held with its money until an operator decides)
or block (refused with `RiskBlocked`; no money moves). Nothing here imports orders.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from kameng.errors import DomainError

ALLOW, REVIEW, BLOCK = "allow", "review", "block"
DECISIONS = (ALLOW, REVIEW, BLOCK)

# The features every order is scored on, in this order (the model's input vector). The
# rule engine (risk.features) computes them from the velocity store and the profiles;
# counts include the order being scored. 0 when unknown (no IP, no contact...).
# Assessments store them as a list in this order (a fifth of the bytes a dict takes, on
# every order): new features go at the END, never between or instead of old ones.
FEATURE_NAMES = (
    "amount",  # yuan
    "quantity",
    "amount_vs_seller",  # amount ÷ the seller's usual order amount (1.0 with no history)
    "amount_vs_contact",  # amount ÷ this contact's usual amount (1.0 with no history)
    "ip_orders_10m",
    "ip_orders_1h",
    "device_orders_10m",
    "contact_orders_1h",
    "account_orders_1h",  # orders to this recharge account
    "contact_accounts_24h",  # distinct recharge accounts of this contact
    "device_accounts_24h",  # distinct recharge accounts from this device
    "ip_contacts_1h",  # distinct contacts from this IP
    "seller_orders_10m_vs_usual",  # the seller's last 10 minutes ÷ its usual 10 minutes
    "contact_new",  # 1.0: the contact was first seen less than 24 h ago
    "new_contacts_ip_10m",  # contacts first seen in the last 10 minutes, from this IP
    "coupon_used",
    "coupon_new_contact",  # 1.0: a coupon used by a contact first seen < 24 h ago
    "failed_payments_ip_1h",
    "hour",  # local hour of day, 0..23
    "channel_api",  # 1.0 for the open API
)

# Channels an order comes through (the replay file's `channel` is one of the first two).
STOREFRONT, API, CONSOLE, CLI = "storefront", "api", "console", "cli"
CHANNELS = (STOREFRONT, API, CONSOLE, CLI)


class RiskBlocked(DomainError):
    """The order was refused by risk control. The message never says which rule fired:
    the reasons are for the operator, not for whoever is probing the rules."""

    code = "risk_blocked"
    status = 403
    title = "订单未通过风控审核"


@dataclass(frozen=True)
class Origin:
    """Where an order comes from, as the edge saw it. Empty strings when unknown (the
    CLI has no IP; the API no device cookie)."""

    channel: str
    ip: str = ""
    device_id: str = ""  # the storefront's / console's long-lived cookie `kmd`
    contact: str = ""  # the end user's phone or email (storefront)
    recharge_account: str = ""  # the account a direct top-up goes to
    coupon: str = ""  # the coupon code used, upper case


@dataclass(frozen=True)
class OrderFacts:
    origin: Origin
    seller_id: int  # the agent whose shop sells (storefront) or who buys (agent orders)
    seller: str  # that agent's username
    sku_id: int
    quantity: int
    amount: Decimal  # what the order costs its payer, in yuan
    at: datetime  # when it is placed (replay: the file's `ts`)
    order_no: str = ""  # known when replaying; live orders get theirs after scoring
    # The same request sent again (an agent's out_trade_no) is counted once in the
    # velocity windows: its events are keyed by this, not by a random token.
    request_key: str = ""


@dataclass(frozen=True)
class Reason:
    """One rule (or the model) that fired."""

    rule: str  # the rule's code, e.g. "ip_orders_10m", or "model"
    label: str  # what it means, in Chinese, for the operator
    weight: int  # points added to the score (0 for a hard action)
    action: str  # "score", or a hard "review" / "block"
    observed: str  # what was seen, e.g. "23 单 / 10 分钟"

    def as_dict(self) -> dict[str, object]:
        """As stored with the assessment and written by replay."""
        return {
            "rule": self.rule,
            "label": self.label,
            "weight": self.weight,
            "action": self.action,
            "observed": self.observed,
        }


@dataclass(frozen=True)
class Verdict:
    decision: str  # ALLOW | REVIEW | BLOCK
    score: int  # the rules' weights plus the model's, 0..
    reasons: tuple[Reason, ...]
    scenario_version: int  # the rules' version that decided
    model_version: str  # "" when no model is loaded
    features: dict[str, float] = field(default_factory=dict)  # as scored (training data)

    @property
    def held(self) -> bool:
        return self.decision == REVIEW
