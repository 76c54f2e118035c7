"""Lesson text as authors write it and residents read it: Markdown rendered once, then sanitised."""

import difflib
import hashlib
import re
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

#: The tags CommonMark produces (raw HTML is off, so nothing else can appear).
ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "em", "strong", "code", "pre",
    "blockquote", "hr", "br", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
#: Images may only come from our own media folder: no tracking pixels, no data: or remote images.
IMAGE_PREFIX = "/media/images/"


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    default_image = md.renderer.rules["image"]

    def image(renderer, tokens, index, options, env):
        # An image from elsewhere is shown as its description, so the page never loads foreign content.
        token = tokens[index]
        if not is_own_image(token.attrGet("src") or ""):
            return renderer.renderInline(token.children, options, env) if token.children else ""
        return default_image(tokens, index, options, env)

    md.add_render_rule("image", image)
    return md


def is_own_image(src: str) -> bool:
    """Tell whether an image address points into our own media folder."""
    return src.startswith(IMAGE_PREFIX) and ".." not in src and "\\" not in src and "//" not in src[1:]


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not is_own_image(value):
        return None
    return value


def render_markdown(text: str) -> str:
    """Render a lesson body to HTML that is safe to serve as is."""
    return sanitise_html(_markdown().render(text or ""))


def sanitise_html(html: str) -> str:
    """Keep only the tags and addresses Markdown produces; links open without giving our page away."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def text_hash(*parts: str | None) -> str:
    """Return a stable hash of some texts, to notice when a source text changes."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part or "").encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def diff_table(old: str, new: str) -> Markup:
    """Return the difference between two texts as table rows: removed lines in <del>, added in <ins>, all escaped."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset, line in enumerate(old_lines[i1:i2]):
                rows.append(_diff_row("same", i1 + offset + 1, j1 + offset + 1, escape(line)))
            continue
        removed, added = old_lines[i1:i2], new_lines[j1:j2]
        if tag == "replace" and len(removed) == len(added):
            # Line for line: show the words that changed inside each line.
            for offset, (before, after) in enumerate(zip(removed, added, strict=True)):
                marked_before, marked_after = _word_diff(before, after)
                rows.append(_diff_row("removed", i1 + offset + 1, None, marked_before))
                rows.append(_diff_row("added", None, j1 + offset + 1, marked_after))
            continue
        for offset, line in enumerate(removed):
            rows.append(_diff_row("removed", i1 + offset + 1, None, Markup("<del>%s</del>") % line))
        for offset, line in enumerate(added):
            rows.append(_diff_row("added", None, j1 + offset + 1, Markup("<ins>%s</ins>") % line))
    return Markup("\n").join(rows)


def _diff_row(kind: str, old_number: int | None, new_number: int | None, content: Markup) -> Markup:
    return Markup('<tr class="{}"><td>{}</td><td>{}</td><td>{}</td></tr>').format(
        kind, old_number or "", new_number or "", content
    )


def _word_diff(before: str, after: str) -> tuple[Markup, Markup]:
    old_words, new_words = re.split(r"(\s+)", before), re.split(r"(\s+)", after)
    marked_old, marked_new = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        old_part, new_part = "".join(old_words[i1:i2]), "".join(new_words[j1:j2])
        if tag == "equal":
            marked_old.append(escape(old_part))
            marked_new.append(escape(new_part))
            continue
        if old_part:
            marked_old.append(Markup("<del>%s</del>") % old_part)
        if new_part:
            marked_new.append(Markup("<ins>%s</ins>") % new_part)
    return Markup("").join(marked_old), Markup("").join(marked_new)
