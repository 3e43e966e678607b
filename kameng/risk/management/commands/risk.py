"""`kameng risk ...`: risk control from the command line.

    kameng risk simulate --seed N --orders N [--days D] --out FILE
    kameng risk replay FILE

Each sub-command is one entry of SUBCOMMANDS: (name, help, add_arguments(parser),
handle(command, options)). To add one (e.g. `risk train`), write those two functions in
its own module and append the entry there-or-here, e.g.
    SUBCOMMANDS.append(Sub("train", "…", train_arguments, train_handle))
handle() raises CommandError (or a DomainError) for bad input; it never prints a
traceback.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from kameng.commands import KamengCommand
from kameng.risk import replay, simulate, training


@dataclass(frozen=True)
class Sub:
    name: str
    help: str
    arguments: Callable[[CommandParser], None]
    handle: Callable[[KamengCommand, dict], None]


def _simulate_arguments(parser: CommandParser) -> None:
    parser.add_argument("--seed", type=int, required=True, help="the random seed")
    parser.add_argument("--orders", type=int, required=True, help="how many orders (≥ 100)")
    parser.add_argument("--days", type=int, default=7, help="over how many days (default 7)")
    parser.add_argument("--out", required=True, help="the JSON-lines file to write")


def _simulate(command: KamengCommand, options: dict) -> None:
    lines = simulate.simulate(seed=options["seed"], orders=options["orders"], days=options["days"])
    simulate.write(options["out"], lines)
    orders = [line for line in lines if "order_no" in line]
    fraud = sum(1 for line in orders if line["label"] == "fraud")
    command.stderr.write(
        f"{len(orders)} orders ({fraud} fraud), {len(lines) - len(orders)} failed payments"
        f" → {options['out']}"
    )


def _replay_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", help="JSON lines, one order each (kameng risk simulate's format)")
    parser.add_argument("--no-model", action="store_true", help="the rules alone")
    parser.add_argument("--no-rules", action="store_true", help="the model alone")


def _replay(command: KamengCommand, options: dict) -> None:
    path = Path(options["file"])
    if not path.is_file():
        raise CommandError(f"no such file: {path}", returncode=2)
    try:
        with path.open(encoding="utf-8") as fh:
            result = replay.run(fh, rules=not options["no_rules"], model=not options["no_model"])
    except replay.ReplayError as exc:
        raise CommandError(f"{path}: {exc.message}", returncode=2) from None
    except UnicodeDecodeError:
        raise CommandError(f"{path}: not UTF-8 text", returncode=2) from None
    out = command.stdout
    for line, verdict in result.verdicts:
        out.write(replay.output_line(line, verdict))
    out.write(replay.summary_line(result))


SUBCOMMANDS: list[Sub] = [
    Sub(
        "simulate",
        "write seeded, labelled normal and attack traffic",
        _simulate_arguments,
        _simulate,
    ),
    Sub(
        "replay",
        "score a file of orders with the current rules and model, placing none",
        _replay_arguments,
        _replay,
    ),
    Sub(
        "train",
        "train the anomaly model from recorded orders (or a file) and make it active",
        training.train_arguments,
        training.train_handle,
    ),
]


class Command(KamengCommand):
    help = "Risk control: " + "; ".join(f"`{sub.name}` {sub.help}" for sub in SUBCOMMANDS)
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(
            dest="subcommand", metavar="{" + ",".join(sub.name for sub in SUBCOMMANDS) + "}"
        )
        subs.required = True
        for sub in SUBCOMMANDS:
            sub.arguments(
                subs.add_parser(
                    sub.name,
                    help=sub.help,
                    called_from_command_line=parser.called_from_command_line,
                )
            )

    def handle(self, *args, subcommand: str, **options) -> None:
        for sub in SUBCOMMANDS:
            if sub.name == subcommand:
                sub.handle(self, options)
                return
        raise CommandError(f"unknown sub-command {subcommand!r}")  # argparse refuses it first
