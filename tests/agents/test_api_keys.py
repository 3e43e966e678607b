"""API credentials from the command line: create prints what a distributor needs, once;
list never shows a secret; revoke stops the key."""

import json

import pytest
from django.core.management import CommandError, call_command

from tests.distributor import Distributor


def run(capsys, *args: str):
    call_command("api_key", *args)
    return json.loads(capsys.readouterr().out)


def test_create_prints_one_json_object_that_works_against_the_api(world, capsys):
    created = run(capsys, "create", "--agent", "agent3", "--label", "my shop")
    assert set(created) == {"app_key", "secret"}
    shop = Distributor(world.a3, created["app_key"], created["secret"])
    assert shop.call("GET", "/api/v1/balance").status_code == 200

    [listed] = run(capsys, "list", "--agent", "agent3")
    assert (listed["app_key"], listed["label"], listed["revoked_at"]) == (
        created["app_key"],
        "my shop",
        None,
    )
    assert created["secret"] not in json.dumps(listed)

    run(capsys, "revoke", created["app_key"], "--agent", "agent3")
    response = shop.call("GET", "/api/v1/balance")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "key_revoked")


def test_several_keys_each_work_alone(world, capsys):
    first = run(capsys, "create", "--agent", "agent2")
    second = run(capsys, "create", "--agent", "agent2")
    assert first["app_key"] != second["app_key"] and first["secret"] != second["secret"]
    run(capsys, "revoke", first["app_key"], "--agent", "agent2")
    assert Distributor(world.a2, **second).call("GET", "/api/v1/balance").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--agent", "nobody"], "agent_not_found"),
        (["revoke", "kmk_unknown", "--agent", "agent3"], "api_key_not_found"),
        (["revoke", "--agent", "agent3"], "invalid_input"),
    ],
)
def test_mistakes_are_one_clear_line(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("api_key", *args)


def test_another_agents_key_cannot_be_revoked_by_name(world, capsys):
    theirs = run(capsys, "create", "--agent", "agent2")
    with pytest.raises(CommandError, match="api_key_not_found"):
        call_command("api_key", "revoke", theirs["app_key"], "--agent", "agent3")
