"""Quizzes: question pools per course, attempts that autosave, grading on the server."""
