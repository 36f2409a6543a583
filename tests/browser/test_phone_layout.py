"""What a phone shows: no page of the dashboard scrolls sideways at 390 px (wide tables scroll
in their own box, with a hint), a link to a section lands with its heading below the sticky top
bar, and the refresh page's "without JavaScript" line stays hidden when JavaScript runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import PHONE, screenshot
from tests.browser.test_dashboard_flows import PASSWORD, sign_in, submit, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BTC_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"  # the demo statement sends to it
ETH_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"

# The outermost elements that stick out to the right of the window and are not inside a box
# that scrolls or clips them: what makes the page scroll sideways.
OVERFLOW_SCRIPT = """
const width = window.innerWidth;
const lifted = (style) => style.position === "absolute" || style.position === "fixed";
// Whether a box that scrolls or clips holds ``el`` in: only its containing blocks do, so an
// absolutely placed element escapes a scrolling box that is not positioned.
const clipped = (el) => {
  let free = lifted(getComputedStyle(el));
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const style = getComputedStyle(p);
    if (free && style.position === "static") continue;
    if (style.overflowX !== "visible") return true;
    free = lifted(style);
  }
  return false;
};
const sticks = (el) => {
  const r = el.getBoundingClientRect();
  return (r.width > 0 || r.height > 0) && r.right > width + 0.5 && !clipped(el);
};
const named = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
  (typeof el.className === "string" && el.className.trim()
    ? "." + el.className.trim().split(/\\s+/).join(".") : "");
const out = [];
for (const el of document.body.querySelectorAll("*")) {
  if (!sticks(el) || (el.parentElement && sticks(el.parentElement))) continue;
  const name = named(el);
  const r = el.getBoundingClientRect();
  out.push(`${name} (right edge at ${Math.round(r.right)}px): ` +
    (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60));
}
// Text running out of a box that fits (a long word that does not wrap)
const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const range = document.createRange();
for (let node = texts.nextNode(); node; node = texts.nextNode()) {
  const box = node.parentElement;
  if (!box || !box.checkVisibility() || sticks(box)) continue;
  range.selectNodeContents(node);
  const r = range.getBoundingClientRect();
  const open = getComputedStyle(box).overflowX === "visible" && !clipped(box);
  if (r.right > width + 0.5 && open) {
    out.push(`text in ${box.tagName.toLowerCase()} (right edge at ${Math.round(r.right)}px): ` +
      node.textContent.trim().slice(0, 60));
  }
}
// Boxes that do scroll sideways, and whether they show it (a fade or shadow on the edge)
const scrollers = [...document.body.querySelectorAll("*")].filter((el) => {
  const style = getComputedStyle(el);
  return ["auto", "scroll"].includes(style.overflowX) && el.checkVisibility() &&
    el.scrollWidth > el.clientWidth + 1;
});
return {
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  offenders: out.slice(0, 12),
  scrolling: scrollers.length,
  unhinted: scrollers.filter((el) => !getComputedStyle(el).backgroundImage.includes("gradient"))
    .map(named),
};
"""


def _full_portfolio(user):
    """A portfolio with something on every page: the demo statement imported, its cost basis
    computed, a Bitcoin address whose receive matches the statement's send (a proposed
    transfer), an Ethereum address, an offset, prices, an API key and a connected app."""
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from addresses.models import AddressBalance, AddressFetchState, AddressTransaction
    from addresses.services import address_create
    from costbasis.build import costbasis_rebuild_now
    from ledger.address_sync import ledger_sync_address
    from ledger.transfers import transfers_match
    from offsets.services import offset_create
    from portfolios.services import portfolio_create
    from tests.dashboard.conftest import daily, import_statement, spot
    from users.services import api_key_create

    portfolio = portfolio_create(
        user=user, title="Everything", currency_codes=["usd", "eur", "btc"], source="t"
    )
    imp = import_statement(portfolio, user).imp
    btc = address_create(
        portfolio=portfolio,
        title="Hardware wallet",
        address=BTC_ADDRESS,
        currency_code="btc",
        source="t",
    )
    eth = address_create(
        portfolio=portfolio,
        title="Ethereum wallet",
        address=ETH_ADDRESS,
        currency_code="eth",
        source="t",
    )
    received = datetime(2024, 9, 30, 13, 30, tzinfo=UTC)  # half an hour after the send
    for n, address in enumerate((btc, eth)):
        AddressFetchState.objects.update_or_create(
            address=address, defaults={"balances_fetched_at": timezone.now()}
        )
        AddressBalance.objects.update_or_create(
            address=address,
            currency=address.currency,
            defaults={"balance": Decimal("0.01") if n == 0 else Decimal("1.2345"), "source": "t"},
        )
        for k in range(3):
            AddressTransaction.objects.create(
                address=address,
                currency=address.currency,
                key=f"{n}-{k}",
                reference=f"{n}{k}" + "ab" * 31,
                delta=Decimal("0.01") if k == 0 else Decimal("0.0001234567"),
                fee=Decimal("0"),
                txn_at=received + timedelta(days=k * 40),
                confirmed=True,
                source="t",
            )
        ledger_sync_address(address_id=address.pk)
    transfers_match(portfolio=portfolio)
    offset_create(
        portfolio=portfolio,
        title="Paper wallet in the drawer",
        balances=[{"currency": "btc", "balance": "0.5"}, {"currency": "eth", "balance": "-1.25"}],
        source="t",
    )
    today = timezone.now().date()
    for code, price in (
        ("btc", "64250.10"),
        ("eth", "3120.5"),
        ("sol", "150"),
        ("grt", "0.2"),
        ("usdc", "1"),
    ):
        spot(code, "usd", price)
        for n in range(1, 60):
            daily(code, "usd", today - timedelta(days=n), price)
    spot("usd", "eur", "0.92")
    costbasis_rebuild_now(portfolio=portfolio)
    api_key_create(user=user, name="Spreadsheet on the laptop", scopes=["read", "info"])
    app = Application.objects.create(
        name="Tax helper",
        user=user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1:9/callback",
    )
    AccessToken.objects.create(
        user=user,
        application=app,
        token="phone-layout-token",
        expires=timezone.now() + timedelta(hours=1),
        scope="read info",
    )
    return portfolio, imp, btc


def _phone(browser) -> None:
    browser.set_window_size(*PHONE)
    assert browser.execute_script("return window.innerWidth;") == PHONE[0]


def test_no_dashboard_page_scrolls_sideways_on_a_phone(browser, live_server, settings, tmp_path):
    from django.core.cache import cache

    from ledger.models import LedgerEntry, Transfer
    from users.models import User

    settings.DASHBOARD_UPLOAD_DIR = tmp_path / "uploads"
    user = User.objects.create_user(email="ivy@example.com", password=PASSWORD, name="Ivy")
    portfolio, imp, btc = _full_portfolio(user)
    assert Transfer.objects.filter(portfolio=portfolio).exists()  # the transfers page has rows
    entry = LedgerEntry.objects.filter(portfolio=portfolio, kind="buy").first()
    offset = portfolio.offsets.get()
    cache.set(f"enqueued:address:{btc.pk}", "now", 300)  # the progress page has a queued step
    p = portfolio.pk

    def url(name, *args):
        return reverse(f"dashboard:{name}", args=args)

    pages = [
        url("home"),
        url("portfolio-list"),
        url("portfolio-new"),
        url("portfolio-detail", p),
        url("portfolio-detail", p) + "?range=all",
        url("portfolio-edit", p),
        url("portfolio-delete", p),
        url("portfolio-refresh-progress", p),
        url("address-new", p),
        url("address-detail", p, btc.pk),
        url("address-edit", p, btc.pk),
        url("address-delete", p, btc.pk),
        url("offset-new", p),
        url("offset-edit", p, offset.pk),
        url("offset-delete", p, offset.pk),
        url("import-list", p),
        url("import-new", p),
        url("import-detail", p, imp.pk),
        url("import-undo", p, imp.pk),
        url("transaction-list", p),
        url("missing-values", p),
        url("transaction-edit", p, entry.pk),
        url("transfer-list", p),
        url("transfer-list", p) + "?status=all",
        url("inventory", p),
        url("cost-basis", p),
        url("developer"),
        url("api-key-new"),
        url("connected-apps"),
        reverse("password_change"),
    ]
    shots = {url("cost-basis", p): "32-cost-basis-phone", url("developer"): "33-developer-phone"}
    sign_in(browser, live_server.url, "ivy@example.com", PASSWORD)
    _phone(browser)
    problems = {}
    for page in pages:
        browser.get(live_server.url + page)
        wait_for(browser, "main")
        problems[page] = browser.execute_script(OVERFLOW_SCRIPT)
        if page in shots:
            screenshot(browser, shots[page], size=PHONE)

    # The import preview, reached as a person reaches it: by uploading a statement
    browser.get(live_server.url + url("import-new", p))
    browser.find_element(By.NAME, "file").send_keys(
        str(settings.BASE_DIR / "demo/demo_data/coinbase-demo.csv")
    )
    submit(browser)
    wait_for(browser, "#preview")
    problems["import preview"] = browser.execute_script(OVERFLOW_SCRIPT)
    screenshot(browser, "31-import-preview-phone", size=PHONE)

    wide = {
        page: seen
        for page, seen in problems.items()
        if seen["innerWidth"] != PHONE[0] or seen["scrollWidth"] > seen["innerWidth"]
    }
    assert not wide, "pages wider than the phone:\n" + "\n".join(
        f"{page}: {seen['scrollWidth']}px in {seen['innerWidth']}px; "
        + "; ".join(seen["offenders"])
        for page, seen in wide.items()
    )
    # What does not fit scrolls in its own box (the cost basis tables do, on a phone), and
    # every such box shows that there is more to the side
    assert problems[url("cost-basis", p)]["scrolling"] > 0
    unhinted = {page: seen["unhinted"] for page, seen in problems.items() if seen["unhinted"]}
    assert not unhinted, f"boxes that scroll sideways without a hint: {unhinted}"


@pytest.mark.parametrize("size", [PHONE, (1280, 900)], ids=["phone", "desktop"])
def test_a_chart_range_link_lands_with_its_heading_below_the_top_bar(browser, live_server, size):
    from users.models import User

    user = User.objects.create_user(email="jo@example.com", password=PASSWORD, name="Jo")
    portfolio, _, _ = _full_portfolio(user)
    sign_in(browser, live_server.url, "jo@example.com", PASSWORD)
    browser.set_window_size(*size)
    browser.get(f"{live_server.url}/portfolios/{portfolio.pk}/")
    link = browser.find_element(By.CSS_SELECTOR, "#value-history .segmented a[href*='range=all']")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    WebDriverWait(browser, 10).until(lambda d: "range=all" in d.current_url)
    wait_for(browser, "#value-history a[aria-current][href*='range=all']")
    # The page scrolled to the section (it is far enough down to need it) ...
    WebDriverWait(browser, 5).until(lambda d: d.execute_script("return window.scrollY;") > 0)
    bar = browser.execute_script(
        "return document.querySelector('.topbar').getBoundingClientRect().bottom;"
    )
    heading = browser.execute_script(
        "return document.getElementById('value-heading').getBoundingClientRect().top;"
    )
    # ... and its heading shows below the sticky bar, not under it
    assert bar > 0 and heading >= bar, f"heading top {heading}px, top bar bottom {bar}px"
    assert heading < size[1] / 2  # and near the top, where the link sent the reader
    screenshot(browser, f"34-range-link-{size[0]}", size=size)


def test_the_no_javascript_line_stays_hidden_when_javascript_runs(browser, live_server):
    from django.core.cache import cache
    from django.utils import timezone

    from addresses.services import address_create
    from portfolios.services import portfolio_create
    from users.models import User

    user = User.objects.create_user(email="kim@example.com", password=PASSWORD)
    portfolio = portfolio_create(user=user, title="Watched", currency_codes=["usd"], source="t")
    address = address_create(
        portfolio=portfolio, title="Savings", address=BTC_ADDRESS, currency_code="btc", source="t"
    )
    cache.set(f"enqueued:address:{address.pk}", timezone.now().isoformat(), 300)  # not done yet
    sign_in(browser, live_server.url, "kim@example.com", PASSWORD)
    browser.get(f"{live_server.url}/portfolios/{portfolio.pk}/refresh/progress/")
    wait_for(browser, f'[data-key="address-{address.pk}"]')
    assert browser.find_element(By.ID, "refresh").get_attribute("data-done") == "false"
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Without JavaScript" not in main
    shown = [e for e in browser.find_elements(By.ID, "refresh-nojs") if e.is_displayed()]
    assert not shown
