"""manage.py import_coinbase_csv PATH --portfolio ID [--dry-run] [--user EMAIL] [--wallet NAME]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import NotFound, ValidationFailed
from ingest.progress import ProgressBar
from ingest.services import statement_import
from portfolios.models import Portfolio
from portfolios.selectors import portfolio_get
from users.models import User


class Command(BaseCommand):
    help = (
        "Import a Coinbase 'Transaction history' CSV into a portfolio's ledger (the 'Coinbase' "
        "import wallet unless --wallet says otherwise). Progress goes to stderr; the summary to "
        "stdout. A refused file names its line and stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file")
        parser.add_argument("--portfolio", required=True, type=int, help="portfolio id")
        parser.add_argument("--dry-run", action="store_true", help="only say what would happen")
        parser.add_argument(
            "--user", help="email of the portfolio's owner (default: whoever owns it)"
        )
        parser.add_argument("--wallet", help="wallet name or id (default: Coinbase)")

    def handle(self, *args, path, portfolio, dry_run, user, wallet, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"no such file: {path}")
        owner, target = self._portfolio(portfolio, user)
        # The wrapped stream itself: OutputWrapper would end every redraw with a newline.
        bar = ProgressBar(file.stat().st_size, self.stderr._out)
        try:
            with file.open("rb") as stream:
                outcome = statement_import(
                    portfolio=target,
                    user=owner,
                    stream=stream,
                    file_name=file.name,
                    wallet=wallet,
                    dry_run=dry_run,
                    on_progress=bar.update,
                )
        except ValidationFailed as exc:
            raise CommandError(f"{file.name} refused, nothing stored: " + "; ".join(exc.problems))
        bar.finish()
        self._report(outcome)

    def _portfolio(self, portfolio_id: int, email: str | None) -> tuple[User, Portfolio]:
        if email is None:
            found = Portfolio.objects.select_related("user").filter(pk=portfolio_id).first()
            if found is None:
                raise CommandError(f"no portfolio {portfolio_id}")
            return found.user, found
        owner = User.objects.filter(email__iexact=email.strip()).first()
        if owner is None:
            raise CommandError(f"no user with email {email}")
        try:
            return owner, portfolio_get(user=owner, portfolio_id=portfolio_id)
        except NotFound:
            raise CommandError(f"{owner.email} has no portfolio {portfolio_id}")

    def _report(self, outcome) -> None:
        imp, summary = outcome.imp, outcome.imp.summary
        head = "Dry run, nothing stored" if outcome.dry_run else f"Import {imp.pk}"
        verb = "would add" if outcome.dry_run else "added"
        self.stdout.write(
            f"{head}: {imp.file_name} ({imp.variant}) into wallet '{imp.wallet.name}' of "
            f"portfolio {imp.portfolio_id}: {imp.rows_read} rows read, {verb} "
            f"{imp.rows_added}, {imp.rows_duplicate} already imported, {imp.rows_skipped} "
            "skipped"
        )
        for change in summary["holdings_change"]:
            self.stdout.write(f"  {change['currency']:>10} {change['change']}")
        for warning in summary["warnings"] + [m.sentence for m in outcome.missing]:
            self.stdout.write(f"warning: {warning}")
