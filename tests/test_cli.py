"""The `kameng` program as a newcomer runs it: the installed console script in its own
process, on the embedded default (SQLite and the file broker in a fresh data folder),
and `make demo`'s environment. (In-process command tests sit beside their apps.)"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from tests import factories

ROOT = Path(__file__).resolve().parents[1]
KAMENG = str(Path(sys.executable).with_name("kameng"))


def embedded_env(data_dir: Path) -> dict[str, str]:
    """This machine's environment as the embedded default sees it: no database, Redis
    or broker variables (the PostgreSQL test run sets them)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_", "REDIS_", "CELERY_", "KAMENG_", "MAKE", "MFLAGS"))
    }
    return {**env, "KAMENG_DATA_DIR": str(data_dir)}


def kameng(data_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [KAMENG, *args],
        cwd=ROOT,
        env=embedded_env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Iterator[tuple[Path, dict]]:
    """A fresh `make demo` database (migrate + seed-demo), and what seed-demo printed."""
    data_dir = tmp_path_factory.mktemp("demo")
    migrated = kameng(data_dir, "migrate", "--noinput", "-v0", timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    seeded = kameng(data_dir, "seed-demo", timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    yield data_dir, json.loads(seeded.stdout)


# --- names, help and usage -----------------------------------------------------------------


def test_help_takes_the_hyphenated_name_and_usage_reads_as_typed(tmp_path):
    shown = kameng(tmp_path, "help", "sim-supplier")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: kameng sim-supplier ")

    refused = kameng(tmp_path, "place-order", "--sku", "1")
    assert refused.returncode == 2
    assert refused.stderr.startswith("usage: kameng place-order ")
    assert "kameng place-order: error: the following arguments are required: --agent" in (
        refused.stderr
    )

    listing = kameng(tmp_path, "help")
    commands = {line.strip() for line in listing.stdout.splitlines() if line.startswith("    ")}
    assert {"sim-supplier", "seed-demo", "place-order", "api-key"} <= commands
    assert not {name for name in commands if "_" in name}

    unknown = kameng(tmp_path, "sim-supplyer")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("Unknown command: 'sim-supplyer'. Did you mean sim-supplier?")


# --- the demo, run as the README says ---------------------------------------------------------


def test_a_top_up_that_is_not_delivered_in_time_says_so_and_exits_non_zero(demo_dir):
    # No worker runs on this data folder: the order stays "delivering".
    data_dir, _ = demo_dir
    args = ["--agent", "agent3", "--sku", "13", "--account", "13800138000"]
    waited = kameng(data_dir, "place-order", *args, "--out-trade-no", "W-1", "--wait", "0.3")
    assert waited.returncode == 1
    order = json.loads(waited.stdout)
    assert order["status"] == "delivering"
    assert waited.stderr.splitlines() == [
        f"CommandError: not_delivered: order {order['order_no']} was not delivered: still "
        "delivering after 0.3 s; the supplier's answer may come later "
        f"(kameng show-order {order['order_no']} --as agent3)"
    ]


def test_a_top_up_command_writes_nothing_to_stderr(demo_dir):
    """Queuing the top-up's task on the embedded file broker: no "No hostname was
    supplied" from kombu (its URL names a host)."""
    data_dir, _ = demo_dir
    args = ["--agent", "agent3", "--sku", "14", "--account", "13800138000"]
    placed = kameng(data_dir, "place-order", *args, "--out-trade-no", "Q-1", "--json")
    assert placed.returncode == 0
    assert json.loads(placed.stdout)["status"] == "delivering"
    assert placed.stderr == ""


def test_a_second_seed_demo_shows_the_demo_api_key_again(demo_dir):
    data_dir, first = demo_dir
    again = kameng(data_dir, "seed-demo", "--json")
    assert again.returncode == 0, again.stderr
    assert len(again.stdout.splitlines()) == 1
    shown = json.loads(again.stdout)
    assert shown["seeded"] is False
    assert shown["api_key"] == first["api_key"]
    assert shown["api_key"]["secret"]


def test_make_demo_sends_callbacks_to_the_port_it_serves_on(tmp_path):
    """`make demo PORT=8600`: the worker (which tells suppliers where to call back), the
    simulator and the web server all get KAMENG_PUBLIC_URL on port 8600. Stand-ins for
    .venv/bin record what each process was given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "started"
    for program in ("kameng", "celery"):
        script = bin_dir / program
        script.write_text(
            "#!/bin/sh\n"
            f'echo "{program} $1 $KAMENG_PUBLIC_URL" >> {log}\n'
            # The web server's stand-in returns once the worker's has started (then
            # `make demo` stops the others, as Ctrl-C does).
            f'[ "$1" = runserver ] && for i in $(seq 100); do grep -q ^celery {log} && '
            "break; sleep 0.1; done\n"
            "exit 0\n"
        )
        script.chmod(0o755)

    def demo(*variables: str, **env: str) -> dict[str, str]:
        log.write_text("")
        done = subprocess.run(
            ["make", "-s", "demo", f"BIN={bin_dir}", *variables],
            cwd=ROOT,
            env={**embedded_env(tmp_path), **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        time.sleep(0.3)  # the simulator's stand-in, started in the background
        return {
            " ".join(line.split()[:2]): line.split()[2] if len(line.split()) > 2 else ""
            for line in log.read_text().splitlines()
        }

    started = demo("PORT=8600")
    assert started["celery -A"] == "http://127.0.0.1:8600"
    assert started["kameng sim-supplier"] == "http://127.0.0.1:8600"
    assert started["kameng runserver"] == "http://127.0.0.1:8600"
    # Listening everywhere: the callbacks still reach it on this machine.
    assert demo("HOST=0.0.0.0", "PORT=8601")["celery -A"] == "http://127.0.0.1:8601"
    # Set by the operator (a public address): kept.
    assert demo("PORT=8600", KAMENG_PUBLIC_URL="https://kameng.example.com")["celery -A"] == (
        "https://kameng.example.com"
    )


# --- output for scripts and people --------------------------------------------------------


@pytest.mark.django_db
def test_json_prints_one_line_for_scripts(capsys):
    agent = factories.agent("shop")
    call_command("api_key", "create", "--agent", "shop", "--label", "bot", "--json")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    issued = json.loads(out)
    assert issued["app_key"].startswith("kmk_") and issued["secret"]
    call_command("api_key", "list", "--agent", agent.user.username, "--json")
    assert [k["label"] for k in json.loads(capsys.readouterr().out)] == ["bot"]
    # Without --json, indented for people.
    call_command("api_key", "list", "--agent", "shop")
    out = capsys.readouterr().out
    assert out.count("\n") > 1 and json.loads(out)[0]["label"] == "bot"


def test_tables_line_up_chinese_names():
    from kameng.commands import format_table

    table = format_table(
        [{"id": 1, "name": "腾讯Q币卡", "stock": None}, {"id": 22, "name": "Steam", "stock": 3}],
        ["id", "name", "stock"],
    )
    assert table.splitlines() == [
        "id  name       stock",
        "1   腾讯Q币卡  -",
        "22  Steam      3",
    ]
