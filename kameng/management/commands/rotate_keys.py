from typing import Any

from kameng import vault
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput

MOST_IDS_NAMED = 20


class Command(KamengCommand):
    help = (
        "Re-encrypt every stored secret (card codes, supplier API secrets, API-key "
        "secrets) under the first key of KAMENG_CARD_KEYS. Rotation: prepend a new key "
        "in every process, run this until it exits 0, then drop the old key. Safe to "
        "interrupt and run again: secrets already under the first key are skipped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="rows per transaction (default 500)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise InvalidInput("--batch-size must be at least 1")
        verbose = options["verbosity"] >= 2
        reports = vault.rotate_all(
            options["batch_size"], after_batch=self._progress if verbose else None
        )
        self.print_json(
            {
                report.column: {
                    "re_encrypted": report.re_encrypted,
                    "already_current": report.already_current,
                    "unreadable": len(report.unreadable),
                }
                for report in reports
            }
        )
        unreadable = [report for report in reports if report.unreadable]
        if unreadable:
            raise vault.SecretUnreadable(
                "not every secret could be decrypted with KAMENG_CARD_KEYS, so those were "
                "left as they were: "
                + "; ".join(_named(report) for report in unreadable)
                + ". Add the key they were encrypted with back to KAMENG_CARD_KEYS (after "
                "the new first key) and run rotate-keys again; do not drop any key before "
                "it exits 0"
            )

    def _progress(self, report: vault.ColumnRotation) -> None:
        self.stderr.write(
            f"{report.column}: {report.re_encrypted} re-encrypted, "
            f"{report.already_current} already current, {len(report.unreadable)} unreadable"
        )


def _named(report: vault.ColumnRotation) -> str:
    ids = ", ".join(str(pk) for pk in report.unreadable[:MOST_IDS_NAMED])
    more = len(report.unreadable) - MOST_IDS_NAMED
    return f"{report.column} ids {ids}" + (f" and {more} more" if more > 0 else "")
