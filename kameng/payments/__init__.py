"""Taking payments from buyers through an operator's payment gateway (易支付 and kin)."""
