"""The web app through its HTTP interface (Flask's test client): the JSON endpoints, bad uploads, the
safety rules, and that nothing of an upload is left on disk after the response."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import investor_book
from udfi.cli import app as cli_app
from udfi.plan import compute_plan, parse_terms
from udfi.template_book import write_template
from udfi.web.app import WebConfig, create_app
from udfi.web.limits import UploadLimits
from udfi.web.plan_views import EXAMPLE_TERMS

from .conftest import SAMPLE

runner = CliRunner()


def _cli_check(book: Path, year: int) -> dict:
    result = runner.invoke(cli_app, ["check", str(book), "--year", str(year), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def _post_book(client, data: bytes, filename: str, year: str | None = "2022", path: str = "/api/check", **headers):
    form = {"book": (io.BytesIO(data), filename)}
    if year is not None:
        form["year"] = year
    return client.post(path, data=form, content_type="multipart/form-data", headers=headers)


def _zip(entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def _left_on_disk(root: Path) -> list[Path]:
    return sorted(root.rglob("*"))


def test_api_check_returns_the_json_of_udfi_check(client, sample_zip, web_temp_root):
    response = _post_book(client, sample_zip.read_bytes(), "sample.zip")
    assert response.status_code == 200, response.get_data(as_text=True)
    expected = _cli_check(SAMPLE, 2022)
    assert response.get_json() == expected
    assert list(response.get_json()["accounts"][0]) == list(expected["accounts"][0])  # same key order
    assert _left_on_disk(web_temp_root) == []


def test_init_fill_one_property_then_the_web_gives_the_answer_of_udfi_check(client, tmp_path, web_temp_root):
    write_template(tmp_path / "mine", xlsx=True)
    workbook = investor_book.fill_template(tmp_path / "mine" / "book.xlsx")
    response = _post_book(client, workbook.read_bytes(), "book.xlsx", year=str(investor_book.YEAR))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == _cli_check(workbook, investor_book.YEAR)
    # the page shows the same answer in plain words
    page = _post_book(client, workbook.read_bytes(), "book.xlsx", year=str(investor_book.YEAR), path="/check")
    html = page.get_data(as_text=True)
    row = response.get_json()["accounts"][0]
    assert "MUST FILE Form 990-T for 2023" in html and row["status"] == "file"
    assert f'id="balance-IRA-RUIZ">${row["balance_due"]:,}<' in html
    assert _left_on_disk(web_temp_root) == []


@pytest.mark.parametrize("data, filename, words", [
    (b"hello, this is not a book\n", "notes.txt", "a single CSV file is not a book"),
    (b"\x00\x01\x02 binary junk", "book.zip", "not an .xlsx workbook or a .zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "book.xls", "old binary Excel workbook"),
    (b"", "empty.zip", "the upload is empty"),
    (_zip({"readme.txt": b"no tables here"}), "other.zip", "holds no book tables"),
    (_zip({"../accounts.csv": b"account_id\n"}), "escape.zip", "leaves the archive's folder"),
    (_zip({"/etc/accounts.csv": b"account_id\n"}), "absolute.zip", "leaves the archive's folder"),
    (_zip({"a\\..\\accounts.csv": b"account_id\n"}), "backslash.zip", "leaves the archive's folder"),
    (_zip({"book/accounts.csv": b"x"}, symlinks={"book/ledger.csv": "/etc/passwd"}), "link.zip", "symbolic link"),
    (_zip({"a/accounts.csv": b"x", "b/ledger.csv": b"y"}), "split.zip", "in different folders"),
    (_zip({"../123-45-6789.csv": b"x"}), "ssn.zip", "'../***-**-6789.csv'"),
])
def test_bad_uploads_are_refused_with_a_clear_error(client, web_temp_root, data, filename, words):
    response = _post_book(client, data, filename)
    assert response.status_code == 400
    assert words in response.get_json()["error"]
    assert "Traceback" not in response.get_data(as_text=True)
    assert _left_on_disk(web_temp_root) == []
    assert not (web_temp_root.parent / "accounts.csv").exists()


def test_zip_bomb_is_refused_before_unpacking(client, web_temp_root):
    bomb = _zip({"book/ledger.csv": b"0" * (20 * 1024 * 1024)})  # 20 MiB of one byte: ~1000:1
    assert len(bomb) < 100_000
    response = _post_book(client, bomb, "bomb.zip")
    assert response.status_code == 413 and "zip bomb" in response.get_json()["error"]
    assert _left_on_disk(web_temp_root) == []


def test_archive_unpacking_beyond_the_limit_is_refused(tmp_path):
    small = create_app(WebConfig(temp_root=tmp_path, limits=UploadLimits(max_unpacked_bytes=1000)))
    archive = _zip({f"book/{name}.csv": os.urandom(600) for name in ("accounts", "properties")})
    response = _post_book(small.test_client(), archive, "big.zip")
    assert response.status_code == 413 and "unpack to" in response.get_json()["error"]


def test_upload_larger_than_the_limit_is_refused(tmp_path):
    small = create_app(WebConfig(temp_root=tmp_path, limits=UploadLimits(max_upload_bytes=100_000)))
    response = _post_book(small.test_client(), os.urandom(200_000), "big.zip")
    assert response.status_code == 413 and "larger than" in response.get_json()["error"]


def test_invalid_book_lists_its_problems(client, web_temp_root):
    only_accounts = _zip({"book/accounts.csv": (SAMPLE / "accounts.csv").read_bytes()})
    response = _post_book(client, only_accounts, "partial.zip")
    assert response.status_code == 422
    body = response.get_json()
    missing = {problem["expected"] for problem in body["problems"]}
    assert any("properties.csv" in text for text in missing) and any("ledger.csv" in text for text in missing)
    page = _post_book(client, only_accounts, "partial.zip", path="/check")
    html = page.get_data(as_text=True)
    assert 'id="book-error"' in html and 'id="problems"' in html and "ledger.csv" in html
    assert _left_on_disk(web_temp_root) == []


def test_year_and_file_are_required_by_the_api(client, sample_zip):
    assert "a tax year is required" in _post_book(client, sample_zip.read_bytes(), "s.zip", year=None).get_json()["error"]
    assert "4 digits" in _post_book(client, sample_zip.read_bytes(), "s.zip", year="20x2").get_json()["error"]
    response = client.post("/api/check", data={"year": "2022"}, content_type="multipart/form-data")
    assert response.status_code == 400 and "no file was uploaded" in response.get_json()["error"]


def test_a_year_without_parameters_is_a_clear_error(client, sample_zip):
    response = _post_book(client, sample_zip.read_bytes(), "sample.zip", year="2011")
    assert response.status_code == 400 and "2011" in response.get_json()["error"]


def test_time_limit_stops_the_work_and_leaves_nothing(tmp_path):
    hurried = create_app(WebConfig(temp_root=tmp_path / "private",
                                   limits=UploadLimits(time_limit_seconds=0.2)))
    response = _post_book(hurried.test_client(), _zip({f"s/{p.name}": p.read_bytes() for p in SAMPLE.glob("*.csv")}),
                          "sample.zip")
    assert response.status_code == 503 and "time limit" in response.get_json()["error"]
    assert _left_on_disk(tmp_path / "private") == []


def test_requests_for_another_host_or_from_another_site_are_refused(client, sample_zip):
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200
    response = _post_book(client, sample_zip.read_bytes(), "s.zip", Origin="http://attacker.example")
    assert response.status_code == 403


def test_pages_carry_safety_headers(client):
    response = client.get("/check")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_account_names_are_escaped_in_the_page(client, tmp_path):
    folder = investor_book.write_csv(tmp_path / "hostile")
    accounts = (folder / "accounts.csv").read_text().replace("Pinecrest Trust Co FBO Ana Ruiz IRA",
                                                             "<script>alert(1)</script> IRA")
    (folder / "accounts.csv").write_text(accounts)
    archive = _zip({f"b/{p.name}": p.read_bytes() for p in folder.glob("*.csv")})
    html = _post_book(client, archive, "b.zip", year="2023", path="/check").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_package_downloads_are_built_on_demand_and_kept_in_memory(client, tmp_path, web_temp_root):
    folder = investor_book.write_csv(tmp_path / "one")
    archive = _zip({f"one/{p.name}": p.read_bytes() for p in folder.glob("*.csv")})
    page = _post_book(client, archive, "one.zip", year=str(investor_book.YEAR), path="/check").get_data(as_text=True)
    start = page.index("/check/") + len("/check/")
    token = page[start:page.index("/", start)]
    returned = client.get(f"/check/{token}/IRA-RUIZ/return.json")
    assert returned.status_code == 200
    data = json.loads(returned.data)
    expected = _cli_check(folder, investor_book.YEAR)["accounts"][0]
    assert data["account_id"] == "IRA-RUIZ" and data["form_990t"]["part_iii"]["4"] == expected["tax"]
    bundle = zipfile.ZipFile(io.BytesIO(client.get(f"/check/{token}/package.zip").data))
    names = set(bundle.namelist())
    year = investor_book.YEAR
    assert {"udfi-package/summary.csv", f"udfi-package/IRA-RUIZ/{year}/statements.pdf",
            f"udfi-package/IRA-RUIZ/{year}/return.json"} <= names
    assert bundle.read(f"udfi-package/IRA-RUIZ/{year}/statements.pdf").startswith(b"%PDF")
    served = client.get(f"/check/{token}/IRA-RUIZ/990-T.xml")
    assert served.status_code == 200 and served.mimetype == "application/xml"
    assert served.data == bundle.read(f"udfi-package/IRA-RUIZ/{year}/990-T.xml")
    # a file the package does not hold (no official 2023 blank, so no 990-T.pdf) is a 404 that says so
    assert f"udfi-package/IRA-RUIZ/{year}/990-T.pdf" not in names
    missing = client.get(f"/check/{token}/IRA-RUIZ/990-T.pdf")
    assert missing.status_code == 404 and f"no 990-T.pdf for IRA-RUIZ in {year}" in missing.get_data(as_text=True)
    assert _left_on_disk(web_temp_root) == []
    assert client.get("/check/not-a-token/IRA-RUIZ/return.json").status_code == 404
    assert client.get(f"/check/{token}/IRA-RUIZ/secrets.txt").status_code == 404


def test_api_plan_returns_the_engine_projection(client):
    response = client.post("/api/plan", data=json.dumps({**EXAMPLE_TERMS, "price": 300000, "rate": 6.5}),
                           content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    expected = compute_plan(parse_terms({**EXAMPLE_TERMS, "price": "300000", "rate": "6.5"})).as_json()
    assert response.get_json() == json.loads(json.dumps(expected))
    assert [item["key"] for item in response.get_json()["scenarios"]] == ["ira_loan", "solo_401k_loan", "cash"]


def test_api_plan_errors_name_the_field(client):
    response = client.post("/api/plan", json={"price": "lots", "land_share": 20, "rent_monthly": 1000, "ltv": 50,
                                              "hold_years": 3})
    assert response.status_code == 400 and "price" in response.get_json()["problems"]
    response = client.post("/api/plan", json={**EXAMPLE_TERMS, "color": "blue"})
    assert response.status_code == 400 and "color" in response.get_json()["problems"]
    assert client.post("/api/plan", data="{not json", content_type="application/json").status_code == 400


def test_plan_book_download_is_the_generated_book(client):
    response = client.post("/plan/book.zip", data=EXAMPLE_TERMS)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = set(zipfile.ZipFile(io.BytesIO(response.data)).namelist())
    assert {"planned-book/accounts.csv", "planned-book/ledger.csv"} <= names


def test_serve_binds_127_0_0_1_by_default_and_answers(tmp_path):
    udfi = Path(sys.executable).parent / "udfi"
    process = subprocess.Popen([str(udfi), "serve", "--port", "0"], stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True)
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "serving on" not in line and time.monotonic() < deadline:
            line = process.stderr.readline()
        assert "serving on http://127.0.0.1:" in line, line
        url = line.split("serving on ")[1].split()[0]
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200 and b"Check a year" in response.read()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_readme_plan_example_works(client):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    body = readme.split("http://127.0.0.1:8000/api/plan -d '", 1)[1].split("'", 1)[0]
    response = client.post("/api/plan", data=body, content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert next(item for item in response.get_json()["scenarios"] if item["yours"])["key"] == "ira_loan"
