"""`peerscope report weekly`: the insights page as an HTML and a PDF file, with the same
figures as the page the console serves for the same supervisor and range."""

from __future__ import annotations

import io
import re
import stat

from pypdf import PdfReader

from bot.cli import main
from bot.settings import local_today
from tests.acting import act_as
from tests.web import SAM_FIGURES, console, figures_in_html, web_code


def _page(web, who: str, query: str) -> str:
    import httpx

    with httpx.Client(base_url=web.url, timeout=60) as client:
        form = client.get("/signin")
        pre = form.headers["set-cookie"].split(";", 1)[0]
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text).group(1)
        done = client.post(
            "/signin",
            data={"csrf": csrf, "code": web_code(web.ids[who], web.ids["ada"])},
            headers={"Cookie": pre},
            follow_redirects=False,
        )
        session = done.headers["set-cookie"].split(";", 1)[0]
        return client.get(f"/insights?{query}", headers={"Cookie": session}).text


def _table_rows(html: str, chart: str) -> list[list[str]]:
    block = html.split(f'id="chart-{chart}"', 1)[1].split("</table>", 1)[0].split("</svg>", 1)[1]
    return [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in block.split("<tr>")[2:]]


def test_weekly_report_html_and_pdf_have_the_pages_figures(tmp_path, capsys):
    end = local_today()
    start = end.fromordinal(end.toordinal() - 27)
    with console(tmp_path) as web:
        page = _page(web, "sam", f"start={start}&end={end}")
        act_as(web.ids["sam"])
        html_file, pdf_file = tmp_path / "weekly.html", tmp_path / "weekly.pdf"
        assert main(["report", "weekly", "--format", "html", "--out", str(html_file)]) == 0
        assert (
            main(
                [
                    "report",
                    "weekly",
                    "--format",
                    "pdf",
                    "--out",
                    str(pdf_file),
                    "--start",
                    str(start),
                    "--end",
                    str(end),
                ]
            )
            == 0
        )
        assert main(["report", "weekly", "--format", "pdf", "--out", str(pdf_file)]) == 1  # exists: not replaced
        assert "already exists" in capsys.readouterr().err
        act_as(web.ids["pat"])
        assert main(["report", "weekly", "--out", str(tmp_path / "peer.html")]) == 3
        assert "for supervisors and admins" in capsys.readouterr().err
        assert main(["report", "weekly", "--out", str(tmp_path / "x.html"), "--start", "2026-02-30"]) == 2
    for path in (html_file, pdf_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    html = html_file.read_text()
    assert figures_in_html(html) == figures_in_html(page) == SAM_FIGURES
    for chart in ("by-week", "by-peer", "decisions", "topics", "plans", "quiz"):
        assert _table_rows(html, chart) == _table_rows(page, chart), chart
    assert html.count("<svg") == 6 and "<link" not in html and "Sign out" not in html
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_file.read_bytes())).pages)
    text = " ".join(text.split())
    for label, value in SAM_FIGURES.items():
        assert f"{label} {value}" in text, label
    for peer_row in _table_rows(html, "by-peer"):
        assert " ".join(peer_row) in text
    assert f"Supervision insights: your team, {start} to {end}" in text
    assert "Can I bring my dog to a home visit?" in text and "co-sign a lease" not in text
