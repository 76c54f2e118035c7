"""Nothing an author writes can run script in a resident's browser."""

from html.parser import HTMLParser

import pytest

from lms.courses.content import render_markdown
from lms.courses.files import import_courses
from lms.extensions import db
from tests.courses.conftest import write_course

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">klik</a>',
    "[klik](javascript:alert(1))",
    "[klik](JaVaScRiPt:alert(1))",
    "[klik](java\tscript:alert(1))",
    "[klik](&#106;avascript:alert(1))",
    "[klik](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[klik](vbscript:msgbox(1))",
    "![gambar](data:image/png;base64,iVBORw0KGgo=)",
    "![gambar](https://pelacak.example/pixel.gif)",
    '![x" onerror="alert(1)](/media/images/a.jpg)',
    "![gambar](/media/images/../../etc/passwd)",
    "<svg onload=alert(1)><circle r=1></circle></svg>",
    '<iframe src="https://evil.example"></iframe>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "[[klik](javascript:alert(1))](https://contoh.example)",
    '[klik](https://contoh.example "judul" onmouseover=alert(1))',
    "<style>body{display:none}</style>",
    '<a href="https://contoh.example" onclick="alert(1)">x</a>',
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "<form action=https://evil.example><input name=password></form>",
]

SAFE_TAGS = {"p", "a", "em", "strong", "code", "pre", "img", "h1", "h2", "ul", "ol", "li", "br", "blockquote", "hr"}


class Elements(HTMLParser):
    """Collect every element and attribute a browser would build from some HTML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def assert_harmless(html: str, extra_tags: frozenset = frozenset()) -> None:
    """Fail if HTML holds an element, attribute or address that could run script or load foreign content."""
    for tag, attrs in Elements(html).elements:
        assert tag in SAFE_TAGS | extra_tags, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on") and name not in {"style", "srcdoc", "formaction"}, (name, html)
            value = (value or "").strip().lower()
            if name == "href":
                assert value.startswith(("http://", "https://", "mailto:", "tel:", "/", "#")) or ":" not in value
            if name == "src" and tag == "img":
                assert value.startswith("/media/images/") and ".." not in value, html


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markdown_renders_harmless(payload):
    html = render_markdown(f"Teks biasa.\n\n{payload}\n\n{payload} di tengah kalimat.")
    assert_harmless(html)


def test_links_are_kept_safe_and_marked():
    html = render_markdown(
        "[situs](https://imigrasi.go.id) [telepon](tel:+62211234) [surat](mailto:a@b.id) [hal](/kursus)"
    )
    assert html.count('rel="noopener noreferrer"') == 4
    assert 'href="https://imigrasi.go.id"' in html and 'href="/kursus"' in html and 'href="tel:+62211234"' in html


def test_own_images_stay_and_others_become_their_description():
    html = render_markdown("![Contoh paspor](/media/images/abc.jpg)\n\n![Foto luar](https://x.example/a.jpg)")
    assert '<img src="/media/images/abc.jpg" alt="Contoh paspor">' in html
    assert "x.example" not in html and "Foto luar" in html


def test_raw_html_is_shown_as_text():
    html = render_markdown("Tulis <b>tebal</b> & lanjut")
    assert "&lt;b&gt;tebal&lt;/b&gt; &amp; lanjut" in html


def test_hostile_titles_and_bodies_are_harmless_on_every_page(app, client, tmp_path):
    title = '<script>alert("t")</script><img src=x onerror=alert(1)>'
    lessons = {"jahat": {"id": ("'" + title + "'", "\n\n".join(HOSTILE))}}
    write_course(tmp_path, lessons=lessons, titles={"id": "'" + title.replace("'", "''") + "'"})
    with app.app_context():
        import_courses(tmp_path)
        db.session.commit()
    for path in ("/kursus", "/kursus/kursus-uji", "/kursus/kursus-uji/jahat"):
        page = client.get(path, headers={"Accept-Language": "id"}).get_data(as_text=True)
        main = page[page.index("<main") : page.index("</main>") + 7]
        assert_harmless(
            main,
            frozenset(
                {
                    "main",
                    "div",
                    "article",
                    "nav",
                    "span",
                    "section",
                    "h2",
                    "ol",
                    "li",
                    "ul",
                    "p",
                    "form",
                    "input",
                    "button",
                    "figure",
                }
            ),
        )
        assert "&lt;script&gt;alert(" in main
