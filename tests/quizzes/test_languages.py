"""Every quiz text is shown in the resident's language, or visibly in the next language of its fallback chain."""

import re

import pytest

from lms.core.models import Language
from lms.extensions import db
from tests.quizzes.conftest import SLUG

BASE = f"/kursus/{SLUG}/kuis"


def first_question(client) -> str:
    client.post(BASE)
    return client.get(BASE).get_data(as_text=True)


@pytest.mark.parametrize(("language", "word"), [("en", "Question q0"), ("id", "Pertanyaan q0")])
def test_a_text_in_the_residents_language_is_shown_without_a_note(client, auth, create_user, quiz_slug, language, word):
    auth.sign_in(create_user(language=language))
    page = first_question(client)
    assert word in page and f'<span class="question-text" lang="{language}">' in page
    assert "fallback-note" not in page


def test_a_missing_translation_falls_back_along_the_chain_with_a_note(app, client, auth, create_user, quiz_slug):
    with app.app_context():  # Baso Palembang falls back to English first, for this test
        db.session.get(Language, "plm").fallbacks = "en id"
        db.session.commit()
    auth.sign_in(create_user(language="plm"))
    page = first_question(client)
    assert '<span class="question-text" lang="en">Question q0' in page
    assert re.search(r'<label for="choice-1" lang="en">Option q0', page)
    assert "fallback-note" in page and "Baso Palembang" in page and "English" in page
    assert '<html lang="id">' in page  # the interface has no Palembang catalog: Indonesian


def test_the_result_marks_fallback_texts_too(app, client, auth, create_user, quiz_slug):
    auth.sign_in(create_user(language="jv"))
    page = first_question(client)
    attempt_id = re.search(r"/kuis/(\d+)/simpan", page).group(1)
    client.post(f"{BASE}/{attempt_id}/kirim", data={"token": "t"})
    result = client.get(f"{BASE}/{attempt_id}/hasil").get_data(as_text=True)
    assert 'lang="id"' in result and result.count("fallback-note") == 3 and "Basa Jawa" in result
