"""A bare Flask "hello world": the yardstick every page's requests/s is divided by."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """Answer with a short fixed text."""
    return "Hello, world!"
