"""Dependencies between apps point one way (DESIGN §1), counting imports inside
functions: what supplies goods sits below what sells them, and reporting sits on top."""

import grimp
import pytest

# Each app may not import any app listed for it, directly or through others.
BELOW = {
    "catalog": {"suppliers", "stock", "upstream", "orders", "topup", "reporting"},
    "suppliers": {"stock", "upstream", "orders", "topup", "reporting"},
    "stock": {"upstream", "orders", "topup", "reporting"},
    "upstream": {"stock", "orders", "topup", "reporting"},
    "orders": {"reporting"},
    "topup": {"reporting"},
    "webhooks": {"reporting"},
}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("kameng", include_external_packages=False)


@pytest.mark.parametrize("app", sorted(BELOW))
def test_an_app_never_imports_what_sits_above_it(graph, app):
    chains = {
        above: graph.find_shortest_chains(importer=f"kameng.{app}", imported=f"kameng.{above}")
        for above in BELOW[app]
    }
    assert not {above: chain for above, chain in chains.items() if chain}


def test_the_old_supply_app_is_only_its_migrations(graph):
    modules = {m for m in graph.modules if m.startswith("kameng.supply.")}
    assert {m for m in modules if not m.startswith("kameng.supply.migrations")} == {
        "kameng.supply.apps"
    }
