"""The documents' stylesheets (templates/**/*.css) read as data: the small CSS subset they use —
type, class and descendant selectors; sizes in pt, in, % or em; colours as #hex — matched against an
element's ancestry with CSS precedence (!important, then specificity, then order). @page rules are
not read here: each document's page setup is `pages.PAGE_SETUPS`."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from udfi.resources import templates_dir

# Properties inherited from the parent, as CSS has them.
INHERITED = frozenset(("font-size", "font-weight", "font-style", "color", "line-height", "text-align", "white-space",
                       "text-transform", "letter-spacing", "font-variant-numeric", "overflow-wrap"))
# The HTML defaults of the elements the documents use (what a browser gives them, in points).
UA_RULES = """
h1 { font-size: 2em; font-weight: bold; margin: .67em 0 }
h2 { font-size: 1.5em; font-weight: bold; margin: .83em 0 }
h3 { font-size: 1.17em; font-weight: bold; margin: 1em 0 }
p, ul { margin: 1em 0 }
ul { padding-left: 30pt }
strong, b, th { font-weight: bold }
em, i { font-style: italic }
td, th { padding: 1px }
.nw { white-space: nowrap }
"""
# The elements the documents may use; a template using another is an error (a test renders every one).
ELEMENTS = frozenset((
    "html", "head", "meta", "title", "body", "section", "header", "div", "h1", "h2", "h3", "p", "ul", "li",
    "table", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "td", "th", "span", "strong", "b", "em", "i",
    "br", "img"))

# Classes the templates set to name what a cell or row is, with no look of their own: a row's kind
# ("line" in a form part), a caption cell, a form part's kind and column count, a column's field.
MARKER_CLASSES = frozenset(("label", "cap", "line", "lines", "properties"))
MARKER_PATTERN = re.compile(r"^(?:cols-\d+|c-[a-z_0-9]+)$")

_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_COMPOUND = re.compile(r"^([a-z0-9]*|\*)((?:\.[\w-]+)*)((?::[\w-]+)*)$")
# The structural pseudo-classes the stylesheets use: an element's chain carries them as ":name".
PSEUDO = frozenset((":first-child", ":last-child", ":first-of-type"))


@dataclass(frozen=True)
class Rule:
    selector: tuple[tuple[str, frozenset[str]], ...]  # compounds, outermost first: (tag or "", classes)
    declarations: tuple[tuple[str, str], ...]
    rank: tuple[int, int, int, int]  # important, classes, tags, order


def _strip_at_rules(text: str) -> str:
    """The stylesheet without its @page / @font-face blocks (nested braces)."""
    out, position = [], 0
    while True:
        start = text.find("@", position)
        if start < 0:
            out.append(text[position:])
            return "".join(out)
        out.append(text[position:start])
        depth, index = 0, text.index("{", start)
        while True:
            if text[index] == "{":
                depth += 1
            elif text[index] == "}":
                depth -= 1
                if depth == 0:
                    break
            index += 1
        position = index + 1


def parse_css(text: str, order_base: int = 0) -> list[Rule]:
    """The rules of a stylesheet in the subset above; a selector outside it is an error."""
    rules: list[Rule] = []
    text = _strip_at_rules(_COMMENT.sub("", text))
    for number, match in enumerate(_RULE.finditer(text)):
        declarations: list[tuple[str, str, bool]] = []
        for item in match.group(2).split(";"):
            if ":" not in item:
                continue
            name, value = item.split(":", 1)
            important = "!important" in value
            declarations.append((name.strip().lower(), value.replace("!important", "").strip(), important))
        for selector in match.group(1).split(","):
            compounds = []
            if "+" in selector:  # adjacent siblings: the page flow handles them (flow.Converter.fresh)
                continue
            for part in selector.split():
                found = _COMPOUND.match(part)
                pseudo = {f":{name}" for name in (found.group(3) if found else "").split(":") if name}
                if found is None or not pseudo <= PSEUDO:
                    raise ValueError(f"stylesheet selector outside the supported subset: {selector.strip()!r}")
                tag = "" if found.group(1) in ("", "*") else found.group(1)
                compounds.append((tag, frozenset(name for name in found.group(2).split(".") if name) | pseudo))
            classes = sum(len(names) for _, names in compounds)
            tags = sum(1 for tag, _ in compounds if tag)
            for important in (False, True):
                chosen = tuple((name, value) for name, value, flag in declarations if flag == important)
                if chosen:
                    rules.append(Rule(tuple(compounds), chosen, (int(important), classes, tags, order_base + number)))
    return rules


def _matches(compound: tuple[str, frozenset[str]], tag: str, classes: frozenset[str]) -> bool:
    return (not compound[0] or compound[0] == tag) and compound[1] <= classes


def selector_matches(selector, chain) -> bool:
    """`chain`: (tag, classes) from the root to the element."""
    if not _matches(selector[-1], *chain[-1]):
        return False
    position = len(chain) - 2
    for compound in reversed(selector[:-1]):
        while position >= 0 and not _matches(compound, *chain[position]):
            position -= 1
        if position < 0:
            return False
        position -= 1
    return True


class StyleSheet:
    """The rules of some template stylesheets; `computed(chain)` is the element's style (inherited
    properties from its ancestors), cached by ancestry."""

    def __init__(self, names: tuple[str, ...], extra: str = ""):
        text = UA_RULES + "\n".join((templates_dir() / name).read_text(encoding="utf-8") for name in names) + extra
        self.rules = sorted(parse_css(text), key=lambda rule: rule.rank)
        self.classes = frozenset(name for rule in self.rules for _, names in rule.selector for name in names)
        self._cache: dict[tuple, dict[str, str]] = {}
        self._lock = threading.Lock()

    def computed(self, chain: tuple[tuple[str, frozenset[str]], ...]) -> dict[str, str]:
        found = self._cache.get(chain)
        if found is not None:
            return found
        parent = self.computed(chain[:-1]) if len(chain) > 1 else {}
        style = {name: value for name, value in parent.items() if name in INHERITED}
        tag, classes = chain[-1]
        for rule in self.rules:
            last = rule.selector[-1]
            if (last[0] and last[0] != tag) or not last[1] <= classes:
                continue
            if len(rule.selector) == 1 or selector_matches(rule.selector, chain):
                for name, value in rule.declarations:
                    _assign(style, name, value, parent)
        with self._lock:
            self._cache[chain] = style
        return style


_SIDES = ("top", "right", "bottom", "left")


def _assign(style: dict, name: str, value: str, parent: dict) -> None:
    """One declaration into `style`; shorthands are expanded and em sizes resolved here."""
    if name in ("margin", "padding"):
        parts = value.split()
        parts = {1: parts * 4, 2: parts * 2, 3: parts + parts[1:2], 4: parts}[len(parts)]
        for side, part in zip(_SIDES, parts):
            style[f"{name}-{side}"] = part
    elif name == "border":
        for side in _SIDES:
            style[f"border-{side}"] = value
    elif name == "font-size":
        style[name] = f"{length(value, float(parent.get('font-size', '12pt')[:-2]))}pt"
    elif name == "page-break-inside":
        style["break-inside"] = value
    else:
        style[name] = value


@lru_cache(maxsize=1024)
def length(value: str, em: float = 10.0, whole: float = 0.0) -> float:
    """A CSS length in points (em relative to `em`, % of `whole`, px at 0.75pt)."""
    value = value.strip()
    for unit, factor in (("pt", 1.0), ("in", 72.0), ("px", 0.75), ("mm", 72 / 25.4)):
        if value.endswith(unit):
            return float(value[:-len(unit)]) * factor
    if value.endswith("em"):
        return float(value[:-2]) * em
    if value.endswith("%"):
        return float(value[:-1]) * whole / 100
    if value in ("0", "none", "auto", "normal", ""):
        return 0.0
    return float(value)


def border(value: str | None) -> tuple[float, str] | None:
    """'0.75pt solid #000' → (0.75, '#000000'); none → None."""
    if not value or value.strip() in ("none", "0"):
        return None
    width, colour = 1.0, "#000000"
    for part in value.split():
        if part[0].isdigit() or part[0] == ".":
            width = length(part)
        elif part.startswith("#"):
            colour = hex_colour(part)
    return width, colour


def hex_colour(value: str) -> str:
    value = value.strip()
    if len(value) == 4:
        return "#" + "".join(char * 2 for char in value[1:])
    return value
