"""Kameng: the hub between virtual-goods suppliers, a distributor tree and end users."""
