"""The README's command and Python examples, and docs/API.md's curl example, run as a
newcomer runs them on a fresh `make demo`: the demo data, a worker, the web server
(the live server) and the simulated supplier with the demo's catalog. A README line
that no longer works fails here, naming the line."""

import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kameng.cli import module_name
from kameng.demo.seed import SIM_MERCHANT, sim_catalog_path
from kameng.upstream.management.commands.sim_supplier import load_catalog
from kameng.upstream.simulator import SimConfig, SimulatedSupplier

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
API_DOC = ROOT / "docs" / "API.md"
# A placeholder for the order number the place-order before it printed, e.g. K26112519...
ORDER_PLACEHOLDER = re.compile(r"^K\d+\.\.\.$")
# The README's example API supplier: kept off the network here (nothing listens).
EXAMPLE_SUPPLIER_URL = ("https://api.example.com/kameng", "http://127.0.0.1:9")


def code_blocks(path: Path, *languages: str) -> list[str]:
    fence = "|".join(languages)
    return re.findall(rf"^```(?:{fence})\n(.*?)^```", path.read_text(), re.S | re.M)


def kameng_lines(path: Path) -> list[list[str]]:
    """Every `kameng ...` command of the document's shell blocks, in order, its
    continuation lines joined and its comment dropped."""
    commands = []
    for block in code_blocks(path, "sh", "bash"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] in ("kameng", ".venv/bin/kameng"):
                commands.append(words[1:])
    return commands


@pytest.fixture
def demo(django_db_reset_sequences, worker, settings, capsys) -> Iterator[dict]:
    """`make demo`, fresh: seed-demo, the simulator on the demo's catalog (on a free
    port, the demo's supplier connected to it), the worker; KAMENG_PUBLIC_URL is the
    live server. Ids from 1, as in a new database: the examples name SKUs 1, 2, 13 and
    application 1."""
    call_command("seed_demo")
    seeded = json.loads(capsys.readouterr().out)
    merchant_id, secret = SIM_MERCHANT
    sim = SimulatedSupplier(
        SimConfig(
            merchant_id=merchant_id,
            secret=secret,
            products=load_catalog(str(sim_catalog_path())),
            latency=0.05,
            process_time=0.1,
        )
    ).start()
    settings.KAMENG_DEMO_SIM_URL = sim.url
    call_command(
        "connect_supplier",
        "速充通讯",
        *("--url", sim.url, "--merchant-id", merchant_id, "--secret", secret),
    )
    capsys.readouterr()
    yield seeded
    sim.stop()


def test_the_readme_commands_work_in_order_on_a_fresh_demo(demo, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the files the examples name
    (tmp_path / "batch.csv").write_text("code,secret\nNEW-0001,PIN-0001\nNEW-0002,PIN-0002\n")
    (tmp_path / "licence.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\n%%EOF\n")
    placed: list[str] = []
    keys: list[str] = []
    bound: dict[str, str] = {}

    def substitute(word: str) -> str:
        if ORDER_PLACEHOLDER.match(word):
            return bound.setdefault(word, placed[-1])  # the order placed just before
        if word == "kmk_...":
            return keys[-1]
        return word.replace(*EXAMPLE_SUPPLIER_URL)

    commands = kameng_lines(README)
    assert len(commands) > 30
    for words in commands:
        if words[0] == "sim-supplier":
            continue  # serves until stopped: tests/upstream/test_simulator.py runs it
        args = [substitute(word) for word in words]
        shown = "kameng " + shlex.join(words)
        try:
            call_command(module_name(args[0]), *args[1:])
        except (CommandError, SystemExit) as exc:
            pytest.fail(f"README: `{shown}` failed: {exc}")
        out = capsys.readouterr().out
        if args[0] == "place-order":
            order = json.loads(out)
            assert order["status"] == "delivered", f"README: `{shown}`: {order}"
            placed.append(order["order_no"])
        elif args[0] == "pay-link":
            placed.append(json.loads(out)["order_no"])
        elif args[0] == "confirm-payment":
            assert '"paid"' in out, f"README: `{shown}`: {out}"
        elif args[:2] == ["api-key", "create"]:
            keys.append(json.loads(out)["app_key"])
    assert len(placed) == 5 and len(bound) == 3


def test_the_curl_and_python_examples_both_buy_on_a_fresh_demo(demo, live_server, tmp_path):
    """docs/API.md §7a (curl) and the README's Python example, one after the other: their
    order numbers differ, so neither answers the other's 409."""
    key = demo["api_key"]
    functions, calls = code_blocks(API_DOC, "bash")[:2]
    (tmp_path / "kameng.sh").write_text(functions)
    ours = f"export KAMENG_BASE={live_server.url} KAMENG_APP_KEY={key['app_key']} "
    ours += f"KAMENG_SECRET={key['secret']}"
    script = re.sub(r"^export KAMENG_BASE=.*$", ours, calls, count=1, flags=re.M)
    ran = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    answers = re.findall(r"^HTTP (\d+)$", ran.stdout, re.M)
    assert answers == ["200", "201", "200"], ran.stdout
    # Its signature checks print what §2 says they are.
    documented = re.findall(r"^# ([0-9a-f]{64})$", calls, re.M)
    assert documented and all(f"\n{sig}\n" in ran.stdout for sig in documented)

    (python,) = [b for b in code_blocks(README, "python") if "KamengClient(" in b]
    printed: list[tuple] = []
    example = python.replace("http://127.0.0.1:8000", live_server.url)
    exec(  # the README's own example, as a reader runs it
        example,
        {"app_key": key["app_key"], "secret": key["secret"], "print": lambda *a: printed.append(a)},
    )
    ((status, secrets),) = printed
    assert status == "delivered" and len(secrets) == 2
