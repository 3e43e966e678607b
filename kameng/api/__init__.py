"""The distributor open API (v1): HTTP translation only; the work is in the services."""
