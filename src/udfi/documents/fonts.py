"""DejaVu Sans (regular, bold, oblique, bold oblique) registered once per process for ReportLab,
which embeds a subset of what each document uses. A character DejaVu Sans lacks is printed in
another installed TrueType face that has it (fontconfig), one run of text at a time."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import threading
from pathlib import Path

FAMILY = "DejaVuSans"
FACES = {"normal": ("DejaVuSans", "DejaVuSans.ttf"), "bold": ("DejaVuSans-Bold", "DejaVuSans-Bold.ttf"),
         "italic": ("DejaVuSans-Oblique", "DejaVuSans-Oblique.ttf"),
         "boldItalic": ("DejaVuSans-BoldOblique", "DejaVuSans-BoldOblique.ttf")}
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts/dejavu")
_LOCK = threading.Lock()
_REGISTERED = False
_CMAP: frozenset[str] = frozenset()
_FALLBACKS: dict[int, str | None] = {}  # code point → registered fallback face (None: no face has it)


class FontMissing(RuntimeError):
    pass


def find_font(filename: str) -> Path | None:
    """The installed file `filename` (DejaVu's folders, else fontconfig)."""
    for folder in FONT_DIRS:
        candidate = Path(folder) / filename
        if candidate.is_file():
            return candidate
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", Path(filename).stem], capture_output=True, text=True,
                               timeout=10, check=False).stdout.strip()
    except OSError:
        return None
    return Path(found) if found.endswith(filename) and Path(found).is_file() else None


# Tables ReportLab neither reads nor needs in what it embeds: hinting programs, layout, kerning.
UNUSED_TABLES = ("fpgm", "prep", "cvt ", "hdmx", "LTSH", "VDMX", "GSUB", "GPOS", "GDEF", "kern", "FFTM", "MATH")


def unhinted(source: Path) -> Path:
    """`source` without its hinting programs and layout tables (every glyph kept), made once into the
    user's cache: ReportLab copies a face's hinting into every subset it embeds (≈ 35 KB a face)."""
    data = source.read_bytes()
    key = hashlib.sha256(data + b"unhinted-3").hexdigest()[:16]
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "udfi" / "fonts"
    target = folder / f"{source.stem}-unhinted-{key}.ttf"
    if target.is_file():
        return target
    try:
        from fontTools.ttLib import TTFont as ToolsFont  # noqa: PLC0415

        font = ToolsFont(io.BytesIO(data), recalcTimestamp=False)  # the same bytes on every machine
        for tag in UNUSED_TABLES:
            if tag in font:
                del font[tag]
        glyphs = font["glyf"]
        for name in font.getGlyphOrder():
            glyphs[name].removeHinting()
        font["maxp"].maxSizeOfInstructions = 0
        font["name"].names = [entry for entry in font["name"].names if entry.nameID <= 6]  # not the license text
        font["post"].formatType = 3.0  # no glyph names
        buffer = io.BytesIO()
        font.save(buffer)
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{target.name}.{os.getpid()}.tmp"
        temporary.write_bytes(buffer.getvalue())
        os.replace(temporary, target)
    except Exception:  # noqa: BLE001 — no fontTools or an unwritable cache: the hinted face, larger files
        return source
    return target


def register() -> None:
    """Register the family (once per process); the regular face is required, the others fall back to it."""
    global _REGISTERED, _CMAP
    with _LOCK:
        if _REGISTERED:
            return
        from reportlab.lib.fonts import addMapping  # noqa: PLC0415
        from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415
        from reportlab.pdfbase.ttfonts import TTFont  # noqa: PLC0415

        names = {}
        for weight, (name, filename) in FACES.items():
            path = find_font(filename)
            if path is None:
                if weight == "normal":
                    raise FontMissing("DejaVu Sans is not installed (Debian: fonts-dejavu-core; scripts/system-deps.sh)")
                names[weight] = names["bold"] if weight == "boldItalic" and "bold" in names else FACES["normal"][0]
                continue
            font = TTFont(name, str(unhinted(path)))
            pdfmetrics.registerFont(font)
            names[weight] = name
            if weight == "normal":
                _CMAP = frozenset(map(chr, font.face.charToGlyph)) | frozenset("\n\t")
        for bold, italic, weight in ((0, 0, "normal"), (1, 0, "bold"), (0, 1, "italic"), (1, 1, "boldItalic")):
            addMapping(FAMILY, bold, italic, names[weight])
        _REGISTERED = True


def face(bold: bool = False, italic: bool = False) -> str:
    key = "boldItalic" if bold and italic else "bold" if bold else "italic" if italic else "normal"
    return FACES[key][0]


def covered(text: str) -> bool:
    """Whether DejaVu Sans has every character of `text` (whitespace aside)."""
    if text.isascii():  # DejaVu Sans has every printable ASCII character
        return True
    return _CMAP.issuperset(text)


def fallback_face(char: str) -> str | None:
    """A registered TrueType face holding `char` (fontconfig's pick), or None when none is installed."""
    code = ord(char)
    with _LOCK:
        if code in _FALLBACKS:
            return _FALLBACKS[code]
    name = None
    try:
        path = subprocess.run(["fc-match", "-f", "%{file}", f":charset={code:x}"], capture_output=True, text=True,
                              timeout=10, check=False).stdout.strip()
    except OSError:
        path = ""
    if path.lower().endswith(".ttf") and Path(path).is_file():
        from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415
        from reportlab.pdfbase.ttfonts import TTFont  # noqa: PLC0415

        name = "udfi-" + Path(path).stem
        try:
            if name not in pdfmetrics.getRegisteredFontNames():
                font = TTFont(name, path)
                if code not in font.face.charToGlyph:
                    raise ValueError("face lacks the character")
                pdfmetrics.registerFont(font)
            elif code not in pdfmetrics.getFont(name).face.charToGlyph:
                name = None
        except Exception:  # noqa: BLE001 — a face ReportLab cannot read (CFF outlines): none
            name = None
    with _LOCK:
        _FALLBACKS[code] = name
    return name
