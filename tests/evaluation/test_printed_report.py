"""The evaluation page prints as one A4 page for a realistic office: four courses, a dozen villages, ratings."""

import subprocess
from urllib.parse import urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from tests.evaluation.conftest import create_pretest_course, take

#: Villages of Kota Pagar Alam (in the demo office's area) where residents took the courses.
VILLAGES = (
    "16.72.01.1001", "16.72.01.1002", "16.72.01.1005", "16.72.01.1007", "16.72.01.1014", "16.72.01.1016",
    "16.72.01.1018", "16.72.01.1019", "16.72.01.1020", "16.72.01.1021", "16.72.02.1003", "16.72.02.1004",
)  # fmt: skip


class AppFetcher(URLFetcher):
    """Let WeasyPrint load the page's stylesheet from the application, as a browser would."""

    def __init__(self, client):
        super().__init__()
        self.client = client

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        response = self.client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        return URLFetcherResponse(url, body=response.data, headers={"Content-Type": response.mimetype})


def test_the_evaluation_prints_on_exactly_one_page(app, client, auth, create_user, officer):
    slugs = [create_pretest_course(app, f"kursus-{number}") for number in range(4)]
    for index, village in enumerate(VILLAGES):
        for slug in slugs[: 1 + index % 4]:
            person = create_user("resident", f"warga_{index}_{slug}", village_code=village)
            take(app, slug, person, right=index % 3, pretest=True)
            take(app, slug, person, right=3 + index % 2)
            auth.sign_in(person)
            client.post(f"/kursus/{slug}/pelajaran-satu/nilai", data={"rating": str(1 + index % 5)})
            client.post(f"/kursus/{slug}/umpan-balik", data={"clarity": "4", "hard_text": "Istilah hukum. " * 40})
            auth.sign_out()
    auth.sign_in(officer)
    response = client.get("/evaluasi")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<tr") > 20  # every village's row is on the screen; the print shows the first ones
    document = HTML(string=html, base_url="http://localhost/evaluasi", url_fetcher=AppFetcher(client)).render()
    assert len(document.pages) == 1
    text = subprocess.run(["pdftotext", "-", "-"], input=document.write_pdf(), capture_output=True, check=True).stdout
    text = text.decode()
    for heading in ("Evaluasi program", "Peningkatan pengetahuan", "Pelajaran dengan nilai terendah"):
        assert heading in text
    assert "baris lagi di unduhan" in text  # the rows left out of the print are in the download
