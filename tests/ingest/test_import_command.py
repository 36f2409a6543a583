"""manage.py import_coinbase_csv, and the progress it shows."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from ingest.progress import MeteredReader, ProgressBar
from ledger.models import Import, LedgerEntry
from tests.ingest.conftest import STATEMENTS, V4_HEAD, counts, holdings


def run(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_coinbase_csv", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_imports_a_file_and_reports_progress_on_stderr(portfolio, alice):
    out, err = run(str(STATEMENTS / "v5.csv"), "--portfolio", str(portfolio.pk))

    imp = Import.objects.get()
    assert (imp.user, imp.file_name, imp.rows_added) == (alice, "v5.csv", 11)
    assert holdings(portfolio)["pol"] == Decimal("100")
    assert out.startswith(f"Import {imp.pk}: v5.csv (V5) into wallet 'Coinbase' of portfolio")
    assert "11 rows read, added 11, 0 already imported, 0 skipped" in out
    assert "warning: missing acquisition: Coinbase disposed of 0.5 SOL" in out
    size = (STATEMENTS / "v5.csv").stat().st_size
    assert err.splitlines()[-1].startswith("done: 100% 0.0/0.0 MiB, 11 rows, ")
    assert "\r" not in err  # not a terminal: plain lines
    assert size > 0


def test_dry_run_stores_nothing(portfolio):
    before = counts()
    out, _ = run(str(STATEMENTS / "v4a.csv"), "--portfolio", str(portfolio.pk), "--dry-run")
    assert out.startswith("Dry run, nothing stored: v4a.csv (V4a)")
    assert "8 rows read, would add 8" in out
    assert counts() == before


def test_a_bad_file_names_its_line_and_stores_nothing(portfolio):
    before = counts()
    with pytest.raises(CommandError) as caught:
        run(str(STATEMENTS / "malformed_bad_quantity.csv"), "--portfolio", str(portfolio.pk))
    assert str(caught.value) == (
        "malformed_bad_quantity.csv refused, nothing stored: line 10: quantity '1O.5x' is not "
        "a number"
    )
    assert counts() == before


def test_user_must_own_the_portfolio(portfolio, bob, alice):
    path = str(STATEMENTS / "v5.csv")
    with pytest.raises(CommandError, match="bob@example.com has no portfolio"):
        run(path, "--portfolio", str(portfolio.pk), "--user", bob.email)
    with pytest.raises(CommandError, match="no user with email nobody@example.com"):
        run(path, "--portfolio", str(portfolio.pk), "--user", "nobody@example.com")
    with pytest.raises(CommandError, match="no portfolio 999999"):
        run(path, "--portfolio", "999999")
    with pytest.raises(CommandError, match="no such file"):
        run(path + ".missing", "--portfolio", str(portfolio.pk))
    run(path, "--portfolio", str(portfolio.pk), "--user", "ALICE@example.com", "--wallet", "Old")
    assert Import.objects.get().wallet.name == "Old"


def test_progress_during_a_larger_file(portfolio, tmp_path, monkeypatch):
    monkeypatch.setattr("ingest.services.BATCH_SIZE", 100)
    path = tmp_path / "big.csv"
    path.write_text(
        V4_HEAD
        + "".join(
            f"66a1{n:020x},2024-07-01 10:{n // 60 % 60:02d}:{n % 60:02d} UTC,Buy,BTC,0.001,USD,"
            f"$60000,$60.00,$61.00,$1.00,\n"
            for n in range(2000)
        )
    )
    ticks = iter(range(0, 10_000, 3))  # every update is three seconds after the previous
    monkeypatch.setattr("ingest.progress._now", lambda: next(ticks))

    _, err = run(str(path), "--portfolio", str(portfolio.pk))

    lines = err.splitlines()
    assert len(lines) == 22  # after each batch of 100 rows, at the end of the file, done
    # The parser reads ahead of the batch being stored: bytes may be ahead of rows.
    assert re.fullmatch(r"progress: +\d+% 0\.\d/0\.2 MiB, 100 rows, 33 rows/s", lines[0])
    assert all(line.startswith("progress: ") for line in lines[:-1])
    assert lines[-1].startswith("done: 100% 0.2/0.2 MiB, 2,000 rows, ")
    assert LedgerEntry.objects.count() == 2000


def test_progress_bar_on_a_terminal_redraws_one_line():
    out = io.StringIO()
    clock = iter([0, 0.5, 0.55, 1.0, 2.0])
    bar = ProgressBar(2 * 2**20, out, tty=True, clock=lambda: next(clock))

    bar.update(2**20, 10_000)  # at 0.5 s
    bar.update(2**20 + 1, 10_001)  # 0.05 s later: not redrawn
    bar.update(2 * 2**20, 30_000)  # at 1.0 s
    bar.finish()  # at 2.0 s

    frames = out.getvalue().split("\r")[1:]
    assert frames[0].startswith("[############............]  50% 1.0/2.0 MiB, 10,000 rows,")
    assert "20,000 rows/s" in frames[0]
    assert frames[1].startswith("[########################] 100% 2.0/2.0 MiB, 30,000 rows")
    assert frames[-1].endswith("in 2.0 s\n") and len(frames) == 3


def test_metered_reader_counts_and_hashes():
    import hashlib

    data = b"x" * 100_000
    reader = MeteredReader(io.BytesIO(data))
    assert reader.read(10) == b"x" * 10
    reader.drain()
    assert reader.bytes_read == 100_000
    assert reader.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(TypeError):
        MeteredReader(io.StringIO("text"))
