"""The apps' import rules are import-linter contracts in pyproject.toml, checked by
`make lint` (`lint-imports`). What is left here: the old supply app is gone but for its
migrations, which existing databases have applied."""

import grimp


def test_the_old_supply_app_is_only_its_migrations():
    graph = grimp.build_graph("kameng", include_external_packages=False)
    modules = {m for m in graph.modules if m.startswith("kameng.supply.")}
    assert {m for m in modules if not m.startswith("kameng.supply.migrations")} == {
        "kameng.supply.apps"
    }
