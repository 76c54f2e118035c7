"""An officer's export waits in the queue while its page is open; when a worker runs it, the open page
shows it finished with the download, without the officer reloading."""

import pytest
from playwright.sync_api import expect

from lms.jobs import huey
from tests.browser.test_progress_leader import sign_in
from tests.conftest import PASSWORD
from tests.progress.test_background_jobs import officer_of, population

pytestmark = pytest.mark.browser


def test_an_open_job_page_follows_the_export_until_its_download(page, live_server, app, create_user):
    regency = population(app)[0][:5]
    officer_of(app, create_user, regency)
    sign_in(page, live_server, "petugas_uji", PASSWORD)
    page.goto(f"{live_server}/laporan?region={regency}")

    huey.immediate = False  # the export waits in the queue until this test plays the worker
    try:
        page.get_by_role("button", name="Ekspor CSV").click()
        expect(page.get_by_role("heading", name="Menunggu dimulai")).to_be_visible()
        status_url = page.locator("#job-progress").get_attribute("data-status-url")
        with page.expect_response(lambda response: response.url.endswith(status_url)):
            pass  # the page asks for the job's status by itself
        expect(page.get_by_role("link", name="Unduh berkasnya")).to_have_count(0)

        queued = huey.dequeue()
        assert queued is not None and huey.dequeue() is None  # one export, one job
        huey.execute(queued)
    finally:
        huey.immediate = True

    expect(page.get_by_role("link", name="Unduh berkasnya")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("heading", name="Selesai")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh berkasnya").click()
    assert download.value.suggested_filename == f"peserta-{regency}.csv"
