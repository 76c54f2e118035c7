"""Lesson text as authors write it and residents read it: Markdown rendered once, then sanitised."""

import hashlib
from functools import cache

import nh3
from markdown_it import MarkdownIt

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
