"""The distributor console's tests: tests/console's people, and the storefront's
enabled payment gateway (a pay link needs one)."""

from tests.storefront.conftest import gateway  # noqa: F401
