"""The web application in a real browser (docs/decisions.md "Web application"): Playwright drives Debian's
Chromium against a running `serve --demo`, finding every control by its role and accessible name.

    python tests/browser/journey.py --base http://127.0.0.1:8080 --user-token TOKEN [--screenshots DIR]

With `--screenshots docs/screenshots` it also takes the README's screenshots of each page.
"""

import argparse
import io
import json
import re
import sys
import time
import urllib.request
import zipfile

from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"


def api(base, token, path):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return response.read()


def sign_in_with_demo_user(page, base, signed_in="Catalog"):
    page.goto(base + "/")
    expect(page.get_by_label("Token")).to_be_visible()
    page.get_by_role("button", name="Demo user").click()
    expect(page.get_by_role("link", name=signed_in).or_(page.get_by_role("button", name=signed_in))).to_be_visible()
    expect(page.get_by_label("Token")).to_have_count(0)


def search(page, query):
    field = page.get_by_label("Query")
    field.fill(query)
    page.get_by_role("button", name="Search").click()


def journey(page, base, user_token, shots):
    """Demo user → search → add to basket → order → 100 % and DONE → the zip of the page."""
    page.goto(base + "/")
    expect(page.get_by_role("button", name="Demo user")).to_be_visible()
    shot(page, shots, "sign-in")
    sign_in_with_demo_user(page, base)
    # Admin-only pages are not offered to a user.
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    search(page, "dataset:synthetic-1 AND index:[0 TO 4]")
    expect(page.get_by_role("status")).to_have_text("5 results")
    counts = page.get_by_role("table", name="Per dataset")
    expect(counts.get_by_role("row").filter(has_text="Synthetic dataset 1")).to_contain_text("5")
    # Quicklooks come through the API with the user's token (those kept online).
    expect(page.get_by_role("img", name=re.compile("^Quicklook of ")).first).to_be_visible()
    shot(page, shots, "catalog")
    page.get_by_role("button", name="Add to basket").click()
    expect(page.get_by_role("status")).to_contain_text("Added")
    page.get_by_role("link", name="Basket").click()
    expect(page.get_by_role("rowheader", name="Synthetic dataset 1")).to_be_visible()
    basket_tools(page)
    shot(page, shots, "basket")
    label = f"Sentinel sample {time.strftime('%H:%M:%S')}.{time.time_ns() % 1000:03d}"
    page.get_by_label("Label").fill(label)
    page.get_by_role("button", name="Order").click()
    progress = page.get_by_role("progressbar", name="Progress")
    expect(progress).to_have_attribute("value", "100", timeout=60_000)
    expect(page.get_by_text("DONE", exact=True)).to_be_visible(timeout=30_000)
    shot(page, shots, "order")
    order_id = page.url.rsplit("/", 1)[1]
    page.get_by_text("Synthetic dataset 1: 5 objects").click()
    expect(page.get_by_role("cell", name="AVAILABLE")).to_have_count(10)
    page.get_by_text("Sub-orders", exact=True).click()
    expect(page.get_by_role("cell", name=re.compile("^DONE"))).not_to_have_count(0)
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download zip").click()
    zipped = waiting.value.path().read_bytes()
    entries = zipfile.ZipFile(io.BytesIO(zipped))
    # Each entry equals the same file fetched from the API with the user's token.
    files = json.loads(api(base, user_token, f"/orders/{order_id}/files/available?size=100"))
    listed = {row["content"]["filename"]: row["content"]["id"] for row in files["content"]}
    names = sorted(entries.namelist())
    assert names == sorted(listed), f"the page's zip holds {names}, the order {sorted(listed)}"
    for name in names:
        assert entries.read(name) == api(base, user_token, f"/orders/files/{listed[name]}"), name
    page.get_by_role("link", name="Orders").click()
    expect(page.get_by_role("link", name=label)).to_be_visible()
    shot(page, shots, "orders")
    # Live, without hammering: at most one request for the list every 2 s.
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/user/orders?" in request.url else None)
    page.wait_for_timeout(6_500)
    assert 2 <= len(asked) <= 4, f"{len(asked)} requests for the order list in 6.5 s"
    return len(names)


def files_cell(page):
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Synthetic dataset 1"))
    return row.get_by_role("cell").nth(1)


def basket_tools(page):
    """A file filter recounts the selection and goes again; a list of providerIds adds its objects."""
    expect(files_cell(page)).to_have_text("10")
    page.get_by_text("Synthetic dataset 1: selections and file filter").click()
    expect(page.get_by_role("button", name=re.compile("^Remove the selection of "))).to_have_count(1)
    page.get_by_label("RAWDATA").check()
    page.get_by_role("button", name="Apply filter").click()
    expect(files_cell(page)).to_have_text("5")
    page.get_by_text("Synthetic dataset 1: selections and file filter").click()
    page.get_by_role("button", name="Remove filter").click()
    expect(files_cell(page)).to_have_text("10")
    page.get_by_label("List of providerIds").set_input_files(
        files=[{"name": "ids.txt", "mimeType": "text/plain", "buffer": b"synthetic-1-0000003\nsynthetic-1-0000004\n"}])
    page.get_by_role("button", name="Upload list").click()
    page.get_by_text("Synthetic dataset 1: selections and file filter").click()
    expect(page.get_by_role("button", name=re.compile("^Remove the selection of "))).to_have_count(2)
    expect(files_cell(page)).to_have_text("10")


def helpers(page):
    """The helpers AND their conditions to the query: a dataset and a property."""
    page.get_by_role("link", name="Catalog").click()
    page.get_by_label("Query").fill("index:[0 TO 9]")
    page.get_by_text("Helpers").click()
    page.get_by_label("Dataset", exact=True).select_option("synthetic-2")
    page.get_by_label("Property").fill("index")
    page.get_by_label("Value").fill("[0 TO 2]")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_have_text("3 results")
    expect(page.get_by_label("Query")).to_have_value("(index:[0 TO 9]) AND dataset:synthetic-2 AND index:[0 TO 2]")


def words_not_json(page, base):
    """A bad query and a bad token are shown in words."""
    page.get_by_role("link", name="Catalog").click()
    search(page, "dataset:(")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    assert "{" not in alert.inner_text(), alert.inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("This token is refused")
    expect(page.get_by_label("Token")).to_be_visible()


def pasted_token_and_keyboard(page, base, user_token):
    """A pasted token signs in; a search is made with the keyboard alone."""
    page.goto(base + "/")
    page.get_by_label("Token").fill(user_token)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Catalog")).to_be_visible()
    page.get_by_label("Query").focus()
    page.keyboard.type("index:[0 TO 1]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("4 results")


def narrow(browser, base, shots):
    """At 390 px the page never scrolls sideways, and the navigation hides behind Menu."""
    page = browser.new_page(viewport={"width": 390, "height": 800})
    sign_in_with_demo_user(page, base, signed_in="Menu")
    search(page, "")
    expect(page.get_by_role("status")).to_contain_text("results")
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Basket")).to_be_visible()
    shot(page, shots, "narrow", full_page=False)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{overflow} px of horizontal scroll at 390 px"
    page.close()


def admin(browser, base, shots):
    """The demo admin sees Admin: every user's orders (and their CSV), dataset rights, user quotas."""
    page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page.goto(base + "/")
    page.get_by_role("button", name="Demo admin").click()
    page.get_by_role("link", name="Admin").click()
    page.get_by_label("Owner").fill("demo-user")
    page.get_by_role("button", name="Search orders").click()
    expect(page.get_by_role("status").filter(has_text="order")).to_have_text(re.compile(r"^[1-9]\d* orders?$"))
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Export CSV").click()
    csv = waiting.value.path().read_text()
    assert csv.startswith("ORDER_ID;CREATION_DATE;"), csv[:80]
    expect(page.get_by_role("rowheader").filter(has_text="URN:AIP:DATASET")).to_have_count(2)
    page.get_by_label("User", exact=True).fill("demo-user@regards.local")
    page.get_by_label("Max quota").fill("50")
    page.get_by_label("Rate limit").fill("2")
    page.get_by_role("button", name="Save quota").click()
    expect(page.get_by_role("status").filter(has_text="demo-user@regards.local")).to_contain_text("of 50")
    shot(page, shots, "admin")
    page.close()


def api_reference(page, base):
    """/docs renders the API from /openapi.json."""
    page.goto(base + "/docs")
    # Playwright's locators reach into RapiDoc's (open) shadow root.
    expect(page.get_by_text("A REGARDS-compatible basket and order service").first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("A page of the data objects matching a Lucene query").first).to_be_attached()


def shot(page, folder, name, full_page=True):
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=full_page)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--user-token", required=True)
    parser.add_argument("--screenshots")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
        # Nothing is fetched from another host (no CDN, no fonts): every request goes to the service.
        elsewhere = []
        context.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith((args.base, "blob:", "data:")) else None)
        page = context.new_page()
        zipped = journey(page, args.base, args.user_token, args.screenshots)
        helpers(page)
        words_not_json(page, args.base)
        pasted_token_and_keyboard(page, args.base, args.user_token)
        narrow(browser, args.base, args.screenshots)
        admin(browser, args.base, args.screenshots)
        api_reference(page, args.base)
        assert not elsewhere, f"requests to other hosts: {elsewhere[:5]}"
        browser.close()
    print(f"browser journey passed: {zipped} files zipped through the page")


if __name__ == "__main__":
    sys.exit(main())
