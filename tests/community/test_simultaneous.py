"""Two submits of the same form arriving at the same moment store one question: the later one finds the first."""

from sqlalchemy import event, func, insert, select

from lms.accounts.models import User
from lms.community.models import ResidentQuestion
from lms.community.operations import ask_question
from lms.extensions import db


def test_a_simultaneous_double_submit_stores_one_question(app, resident):
    with app.app_context():
        user = db.session.get(User, resident)
        raced = []

        def other_request_lands_first(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().startswith("INSERT INTO resident_questions") and not raced:
                raced.append(True)
                with db.engine.connect() as other:  # the same form, sent again, stored by another worker
                    other.execute(
                        insert(ResidentQuestion).values(
                            user_id=user.id,
                            village_code=user.village_code,
                            language="id",
                            body="Sama",
                            is_public=False,
                            is_hidden=False,
                            form_token="token-sama",
                        )  # fmt: skip
                    )
                    other.commit()

        event.listen(db.engine, "before_cursor_execute", other_request_lands_first)
        try:
            question, is_new = ask_question(user, body="Sama", language="id", is_public=False, form_token="token-sama")
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", other_request_lands_first)
        assert raced and not is_new and question.body == "Sama"
        assert db.session.scalar(select(func.count()).select_from(ResidentQuestion)) == 1
