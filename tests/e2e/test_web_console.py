"""The supervisor console in a real headless Chromium (Debian's chromium and chromedriver,
driven by Selenium; nothing downloads a browser), against a real `peerscope web` process.

A supervisor signs in with a code an admin printed, confirms one flag and dismisses
another, returns the note with a comment, and the author's chat shows the outcome; signs
off a plan in two steps (review, then attestation); a peer
sees no queue and is refused (audited) on a supervisor URL typed by hand; the insights
page shows its charts. A screenshot of each page is saved under var/results/web/."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.paths import PROJECT_ROOT
from tests.web import NOTE_PAT, SAM_FIGURES, console, figures_in_html

pytestmark = pytest.mark.e2e

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SHOTS = PROJECT_ROOT / "var" / "results" / "web"
COMMENT = "Please say how she got to the pharmacy without you driving."


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    with console(tmp_path_factory.mktemp("browser")) as running:
        yield running


class Browser:
    def __init__(self, base: str):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
            pytest.fail(
                "the browser tests need Debian's chromium and chromium-driver: "
                "apt-get install chromium chromium-driver (.ci/run does it)"
            )
        self.base, self.profile = base, tempfile.mkdtemp(prefix="chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for arg in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,1400",
            f"--user-data-dir={self.profile}",
        ):
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def find(self, element_id: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.ID, element_id)

    def has(self, element_id: str) -> bool:
        from selenium.webdriver.common.by import By

        return bool(self.driver.find_elements(By.ID, element_id))

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.TAG_NAME, "body").text

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        height = self.driver.execute_script("return document.body.scrollHeight")
        self.driver.set_window_size(1200, min(max(int(height) + 100, 800), 6000))
        assert self.driver.save_screenshot(str(path))
        return path

    def click(self, element_id: str) -> None:
        """Click a link or button and wait until the next page has replaced this one and
        finished loading. The old page is marked on its window object; while the browser is
        between pages, chromedriver may answer any command with an error of its own
        ("Node with given id does not belong to the document"), so those are retried."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver.execute_script("window.__peerscopeOldPage = true;")
        self.find(element_id).click()
        WebDriverWait(self.driver, 30, ignored_exceptions=(WebDriverException,)).until(
            lambda driver: driver.execute_script(
                "return window.__peerscopeOldPage === undefined && document.readyState === 'complete';"
            )
        )

    def sign_in(self, code: str) -> None:
        self.open("/signin")
        self.find("code").send_keys(code)
        self.click("signin")

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


def _admin_prints_code(web, staff_key: str, capsys) -> str:
    """`peerscope staff web-code STAFF_ID`, run by the admin's OS login."""
    from bot.cli import main
    from tests.acting import act_as

    act_as(web.ids["ada"])
    capsys.readouterr()
    assert main(["staff", "web-code", str(web.ids[staff_key])]) == 0
    return capsys.readouterr().out.strip()


def test_supervisor_reviews_a_note_in_the_browser_and_the_author_sees_it_in_chat(web, capsys):
    from actions.review import outcome_messages
    from bot.notices import service as notices
    from bot.store import notifications, session_scope
    from bot.store.models import Notification

    note = web.ids["note_pat"]
    browser = Browser(web.url)
    try:
        browser.sign_in(_admin_prints_code(web, "sam", capsys))
        assert browser.driver.current_url.endswith("/queue")
        assert browser.has(f"open-{note}")
        browser.shot("queue")
        browser.click(f"open-{note}")
        assert "drove member to the pharmacy" in browser.find("note-text").text
        assert "Helped her plan a ride." in browser.text()
        browser.click("confirm-1")
        assert browser.find("flag-1-status").text == "[confirmed]"
        browser.click("dismiss-2")
        assert browser.find("flag-2-status").text == "[dismissed]"
        browser.shot("note")
        browser.find("comment").send_keys(COMMENT)
        browser.click("return")
        assert browser.find("decided").text == f"Note #{note} returned; its author is told in the chat."
        assert not browser.has(f"open-{note}")
        assert NOTE_PAT not in browser.driver.current_url

        browser.open("/plans")
        assert "overdue" in browser.find("plans").text
        assert browser.has(f"pdf-{web.ids['plan_signable']}")
        browser.shot("plans")
        browser.click(f"signoff-{web.ids['plan_signable']}")  # step 1: the plan and its hash
        assert len(browser.find("digest").text) == 64
        browser.shot("signoff")
        browser.find("attest").click()  # step 2: the attestation, then sign
        browser.click("sign")
        assert browser.find("signed").text.startswith(f"Plan #{web.ids['plan_signable']} signed off")
        browser.open("/insights")
        charts = browser.driver.find_elements("css selector", ".chart svg")
        assert len(charts) == 6 and all(c.size["height"] > 100 for c in charts)
        # the seeded figures, plus the flag confirmed and the one dismissed a moment ago
        assert figures_in_html(browser.driver.page_source) == {
            **SAM_FIGURES,
            "Flags confirmed": SAM_FIGURES["Flags confirmed"] + 1,
            "Flags dismissed": SAM_FIGURES["Flags dismissed"] + 1,
            "Plans signed in range": SAM_FIGURES["Plans signed in range"] + 1,
        }
        assert "Flags per category per week" in browser.text()
        browser.shot("insights")
    finally:
        browser.close()

    # the author: the Telegram notice from the outbox, and the chat's message when they say hi
    with session_scope() as s:
        row = s.scalar(
            select(Notification).where(Notification.object_id == note, Notification.kind == notifications.NOTE_DECIDED)
        )
        assert row.staff_id == web.ids["pat"]
        assert notices.text_of(s, row) == (
            f"Your note #{note} was returned by your supervisor. " "Say hi to see their comment."
        )
    [message] = outcome_messages(web.ids["pat"])
    assert message.startswith(f"Your note #{note} from ") and message.endswith(f"was returned: {COMMENT}")


def test_a_peer_sees_no_queue_and_is_refused_on_a_supervisor_url(web, capsys):
    from bot.store import session_scope
    from bot.store.models import AuditLog

    browser = Browser(web.url)
    try:
        browser.sign_in(_admin_prints_code(web, "pat", capsys))
        assert browser.has("peer-home") and not browser.has("nav-queue")
        browser.shot("peer-home")
        browser.open(f"/queue/{web.ids['note_fran']}")  # typed by hand
        assert browser.find("error").text == "this page is for supervisors and admins"
        assert "bipolar" not in browser.text()
        browser.shot("peer-refused")
    finally:
        browser.close()
    with session_scope() as s:
        refused = s.scalars(
            select(AuditLog).where(AuditLog.action == "web.page", AuditLog.actor_id == web.ids["pat"])
        ).all()
    assert [(a.outcome, a.detail["page"], a.channel) for a in refused] == [("denied", "note", "web")]
