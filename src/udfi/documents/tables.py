"""HTML tables (udfi's templates) as platypus Tables: the grid with its row and column spans, column
widths as CSS lays them out, each cell's font, padding, alignment, background and borders, header
rows repeated on every page a table runs onto."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from udfi.documents import fonts
from udfi.documents.flow import _SPACE, _bold, _colour, _italic, _size
from udfi.documents.markup import no_break
from udfi.documents.styles import border, hex_colour, length

_WIDTH = re.compile(r"width:\s*([\d.]+%|[\d.]+pt)")
VALIGN = {"top": "TOP", "middle": "MIDDLE", "bottom": "BOTTOM"}


def _rows(converter, element, chain):
    """(tr, its chain, section) in print order (a table's footer rows last) and the <col> widths."""
    heads, bodies, feet, columns = [], [], [], []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "colgroup":
            group = converter.chain_of(chain, child)
            for col in child:
                if isinstance(col.tag, str):
                    col_chain = converter.chain_of(group, col)
                    inline = _WIDTH.search(col.get("style", ""))
                    width = inline.group(1) if inline else converter.sheet.computed(col_chain).get("width")
                    columns += [width] * int(col.get("span", "1"))
        elif child.tag in ("thead", "tbody", "tfoot"):
            section = converter.chain_of(chain, child)
            target = {"thead": heads, "tbody": bodies, "tfoot": feet}[child.tag]
            target += [(row, converter.chain_of(section, row)) for row in child if row.tag == "tr"]
        elif child.tag == "tr":
            bodies.append((child, converter.chain_of(chain + (("tbody", frozenset()),), child)))
    return heads + bodies + feet, len(heads), columns


def _grid(converter, rows):
    """Cells as (row, column, element, chain, style, colspan, rowspan), and the number of columns."""
    taken: set[tuple[int, int]] = set()
    cells = []
    count = 0
    for number, (row, row_chain) in enumerate(rows):
        column = 0
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            while (number, column) in taken:
                column += 1
            across, down = int(cell.get("colspan", "1")), int(cell.get("rowspan", "1"))
            for extra_row in range(down):
                for extra_column in range(across):
                    taken.add((number + extra_row, column + extra_column))
            cell_chain = converter.chain_of(row_chain, cell)
            cells.append((number, column, cell, cell_chain, converter.sheet.computed(cell_chain), across, down))
            column += across
            count = max(count, column)
    return cells, count


# Text widths by (text, face, size): a statement measures the same captions, labels and amounts in
# every table of every account (the cache is cleared when it grows large).
_WIDTHS: dict[tuple[str, str, float], float] = {}
_WIDTHS_MAX = 50_000


def _measured(text: str, face: str, size: float) -> float:
    key = (text, face, size)
    found = _WIDTHS.get(key)
    if found is None:
        from reportlab.pdfbase.pdfmetrics import stringWidth  # noqa: PLC0415

        if len(_WIDTHS) >= _WIDTHS_MAX:
            _WIDTHS.clear()
        found = _WIDTHS[key] = stringWidth(text, face, size)
    return found


def _text_width(text: str, style: dict) -> float:
    return _measured(text, fonts.face(_bold(style), _italic(style)), _size(style))


def _padding(style: dict) -> tuple[float, float, float, float]:
    size = _size(style)
    return tuple(length(style.get(f"padding-{side}", "0"), size) for side in ("top", "right", "bottom", "left"))


def _plain(cell) -> str | None:
    """The cell's text when it has no markup of its own (no child elements); form names and
    citations held together by no-break spaces."""
    return None if len(cell) else no_break(_SPACE.sub(" ", cell.text or "").strip())


def _widest_word(markup: str, face: str, size: float) -> float:
    """The widest run the markup may not break inside (no-break spaces join words)."""
    from udfi.documents.flow import para_text  # noqa: PLC0415

    words = para_text(markup.replace("\u00a0", "\u2060")).split()
    return max((_measured(word.replace("\u2060", " "), face, size) for word in words), default=0.0)


def widths(cells, count: int, columns: list, style: dict, available: float, markups: dict,
           texts: list | None = None) -> list[float]:
    """Column widths: <col>s, else the first row's cells (a spanning cell's width shared by its columns),
    the rest sharing what is left (a full-width table) or as wide as their content (an auto-width one).
    A CSS width is the content's: the cell's horizontal padding is added; a column that may not wrap
    is never narrower than its text."""
    full = style.get("width") == "100%"
    spec: list[float | None] = [None] * count
    for index, width in enumerate(columns[:count]):
        if width and width.endswith(("%", "pt")):
            spec[index] = length(width, 10, available)
    from_cols = {index for index, width in enumerate(spec) if width is not None}
    for _, column, _, _, cell_style, across, _ in cells:
        if across == 1 and column in from_cols:  # a <col>'s width is its cells' content width too
            pad = _padding(cell_style)
            spec[column] += pad[1] + pad[3]
            from_cols.discard(column)
    for number, column, _, _, cell_style, across, _ in cells:
        if number != 0:
            break
        pad = _padding(cell_style)
        width = cell_style.get("width")
        if width and width != "auto" and all(spec[column + k] is None for k in range(across)):
            for k in range(across):
                spec[column + k] = (length(width, _size(cell_style), available) + pad[1] + pad[3]) / across
    natural = [0.0] * count
    minimum = [0.0] * count
    for position, (_, column, cell, _, cell_style, across, _) in enumerate(cells):
        if across == 1:
            text = texts[position] if texts is not None else _plain(cell)
            if text is None:
                text = _SPACE.sub(" ", cell.text_content()).strip()
            look = _look(cell_style)
            face, size, pad = look[4], look[5], look[6]
            need = _measured(text, face, size) + pad[1] + pad[3] + 1
            if need > natural[column]:
                natural[column] = need
            if need <= minimum[column] and id(cell) not in markups:
                continue  # no word of a plain text is wider than the whole text
            if cell_style.get("white-space") == "nowrap":
                minimum[column] = need
            elif cell_style.get("overflow-wrap") != "anywhere":  # words never break inside
                if id(cell) in markups:
                    word = _widest_word(markups[id(cell)], face, size) + pad[1] + pad[3] + 1
                elif " " not in text and "\u00a0" not in text:
                    word = need  # one word: the text itself
                else:
                    word = _widest_word(escape(text), face, size) + pad[1] + pad[3] + 1
                minimum[column] = max(minimum[column], word)
    spec = [None if width is None else max(width, minimum[index]) for index, width in enumerate(spec)]
    fixed = sum(width for width in spec if width is not None)
    free = [index for index, width in enumerate(spec) if width is None]
    if full:
        room = max(available - fixed, 0.0)
        result = list(spec)
        # equal shares (CSS fixed layout), a column whose text may not break at least as wide as it
        while free:
            share = max(room / len(free), 12.0)
            narrow = [index for index in free if minimum[index] > share]
            if not narrow:
                for index in free:
                    result[index] = share
                break
            for index in narrow:
                result[index] = minimum[index]
                room -= minimum[index]
            free = [index for index in free if index not in narrow]
    else:
        result = [width if width is not None else natural[index] for index, width in enumerate(spec)]
        over = sum(result) - available
        shrinkable = [index for index in free if natural[index] > minimum[index]]
        if over > 0 and shrinkable:
            room = sum(natural[index] - minimum[index] for index in shrinkable)
            for index in shrinkable:
                cut = min(over * (natural[index] - minimum[index]) / room, natural[index] - minimum[index])
                result[index] = max(result[index] - cut, 12.0)
    over = sum(result) - available
    slack = [max(width - minimum[index], 0.0) for index, width in enumerate(result)]
    if over > 0 and sum(slack) > 0:  # too wide: narrow the columns that can wrap, in proportion
        cut = min(over / sum(slack), 1.0)
        result = [width - room * cut for width, room in zip(result, slack)]
    scale = available / sum(result) if sum(result) > available else 1.0
    return [width * scale for width in result]


_CANONICAL: dict[tuple, tuple] = {}  # a look's command → the one object standing for every equal command
_LOOKS: dict[int, tuple] = {}  # id(computed style) → (style, settable, lines, string commands, face, size)


def _look(style: dict) -> tuple:
    """What a cell's computed style asks of the Table, worked out once per style: the settable
    commands (padding, alignment), its rules, and the font commands of a plain-string cell."""
    found = _LOOKS.get(id(style))
    if found is not None and found[0] is style:
        return found
    from reportlab.lib.colors import HexColor  # noqa: PLC0415

    pad = _padding(style)
    size, face = _size(style), fonts.face(_bold(style), _italic(style))
    settable = [("LEFTPADDING", pad[3]), ("RIGHTPADDING", pad[1]), ("TOPPADDING", pad[0]), ("BOTTOMPADDING", pad[2]),
                ("VALIGN", VALIGN.get(style.get("vertical-align", "middle"), "MIDDLE"))]
    lines = []
    if style.get("background"):
        lines.append(("BACKGROUND", HexColor(hex_colour(style["background"]))))
    for side, command in (("bottom", "LINEBELOW"), ("top", "LINEABOVE"), ("left", "LINEBEFORE"), ("right", "LINEAFTER")):
        rule = border(style.get(f"border-{side}"))
        if rule:
            lines.append((command, rule[0], HexColor(rule[1])))
    strings = (("FONT", face, size, size * _line(style)), ("TEXTCOLOR", HexColor(_colour(style))),
               ("ALIGN", style.get("text-align", "left").upper()))
    # equal commands of different looks as one object: _merged merges a command's cells by its id
    settable, lines, strings = (tuple(_CANONICAL.setdefault(command, command) for command in group)
                                for group in (settable, lines, strings))
    found = (style, settable, lines, strings, face, size, pad)
    _LOOKS[id(style)] = found
    return found


def _table_class():
    """platypus' Table, laid out once per width: the page flow measures a table again (KeepTogether,
    then the frame, then its split) and, while every row fitted the last time, the rows are the same."""
    global _TABLE
    if _TABLE is None:
        from reportlab.platypus import Table  # noqa: PLC0415

        class LaidOutTable(Table):
            def _calc(self, available_width, available_height):
                last = self.__dict__.get("_calculated")
                # (width, height it came to, height it had): all rows were measured when it fitted
                if last is not None and last[0] == available_width and last[1] <= last[2] and last[1] <= available_height:
                    return
                super()._calc(available_width, available_height)
                self._calculated = (available_width, self._height, available_height)

        _TABLE = LaidOutTable
    return _TABLE


_TABLE = None


def table(converter, element, chain, style):
    """The platypus Table of one HTML table."""
    from udfi.documents.drawing import CachedParagraph  # noqa: PLC0415

    rows, head_rows, columns = _rows(converter, element, chain)
    cells, count = _grid(converter, rows)
    markups = {id(cell): converter.inline(cell, cell_chain, cell_style)
               for _, _, cell, cell_chain, cell_style, _, _ in cells if len(cell)}
    texts = [_plain(cell) for _, _, cell, _, _, _, _ in cells]
    column_widths = widths(cells, count, columns, style, converter.width, markups, texts)
    data = [[""] * count for _ in rows]
    size = _size(style)
    # every cell's font (Table's own default is Helvetica, set even for empty and Paragraph cells)
    commands: list[tuple] = [("FONT", (0, 0), (-1, -1), fonts.face(), size, size * _line(style))]
    looks = [_look(cell_style) for _, _, _, _, cell_style, _, _ in cells]
    # settable commands: the most common look's for the whole table, then each cell that differs
    common: dict[tuple, int] = {}
    for look in looks:
        common[look[1]] = common.get(look[1], 0) + 1
    default = max(common, key=common.get) if common else ()
    commands += [(name, (0, 0), (-1, -1), *rest) for name, *rest in default]
    # per-cell commands as (command, first column, last column, first row, last row), merged below
    per_cell: list[tuple] = []
    add = per_cell.append
    for (number, column, cell, cell_chain, cell_style, across, down), look, text in zip(cells, looks, texts):
        last_column, last_row = column + across - 1, number + down - 1
        pad = look[6]
        room = sum(column_widths[column:column + across]) - pad[1] - pad[3]
        nowrap = cell_style.get("white-space") == "nowrap"
        if text is not None and fonts.covered(text) and (nowrap or _measured(text, look[4], look[5]) <= room):
            data[number][column] = text
            for command in look[3]:
                add((command, column, last_column, number, last_row))
        else:
            markup = markups.get(id(cell)) or converter.inline(cell, cell_chain, cell_style)
            if markup.strip():
                data[number][column] = CachedParagraph(markup, converter.cell_style(cell_style))
        if look[1] is not default:
            for command in look[1]:
                if command not in default:
                    add((command, column, last_column, number, last_row))
        for command in look[2]:
            add((command, column, last_column, number, last_row))
        if across > 1 or down > 1:
            commands.append(("SPAN", (column, number), (last_column, last_row)))
    edges = []
    for side, command, row in (("top", "LINEABOVE", 0), ("bottom", "LINEBELOW", -1)):
        rule = border(style.get(f"border-{side}"))
        if rule and rows:
            from reportlab.lib.colors import HexColor  # noqa: PLC0415

            edges.append((command, (0, row), (-1, row), rule[0], HexColor(rule[1])))
    built = _table_class()(data, colWidths=column_widths, repeatRows=head_rows, hAlign="LEFT",
                  spaceBefore=length(style.get("margin-top", "0"), size),
                  spaceAfter=length(style.get("margin-bottom", "0"), size))
    built.setStyle(commands + _merged(per_cell) + edges)
    return built


def _width(text: str, face: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth  # noqa: PLC0415

    return stringWidth(text, face, size)


def _line(style: dict) -> float:
    line = style.get("line-height", "1.2")
    return length(line, 1.0) if line.endswith(("pt", "em", "px")) else float(line)


def _merged(commands: list[tuple]) -> list[tuple]:
    """Per-cell commands (command, first column, last column, first row, last row) merged into
    rectangles: runs along a row, then the same run on the rows below (ReportLab applies each
    command to its range; order kept where later ones override). A command spanning rows is kept
    as it is, after the merged ones."""
    rows: dict[tuple, list] = {}
    order: list[tuple] = []
    spanning: list[tuple] = []
    for command, first, last, top, bottom in commands:
        if top != bottom:
            spanning.append((command[0], (first, top), (last, bottom), *command[1:]))
            continue
        same = command  # one object per distinct command (_look), so its id names it
        key = (id(same), top)
        run = rows.get(key)
        if run is not None and run[-1][1] == first - 1:
            run[-1][1] = last
        else:
            if run is None:
                rows[key] = run = []
                order.append((same, top, key))
            run.append([first, last])
    blocks: dict[tuple, list] = {}
    block_order: list[tuple] = []
    for same, top, key in order:
        for first, last in rows[key]:
            block_key = (id(same), first, last)
            found = blocks.get(block_key)
            if found is not None and found[-1][1] == top - 1:
                found[-1][1] = top
            else:
                if found is None:
                    blocks[block_key] = found = []
                    block_order.append((same, first, last, block_key))
                found.append([top, top])
    out = []
    for same, first, last, block_key in block_order:
        name, rest = same[0], same[1:]
        out += [(name, (first, top), (last, bottom), *rest) for top, bottom in blocks[block_key]]
    return out + spanning


def boxed(flowables: list, style: dict, width: float):
    """Blocks inside a bordered, padded box (a one-cell table)."""
    from reportlab.lib.colors import HexColor  # noqa: PLC0415
    rule = border(style.get("border-top")) or (0.75, "#000000")
    size = _size(style)
    pad = [length(style.get(f"padding-{side}", "0"), size) for side in ("top", "right", "bottom", "left")]
    box = _table_class()([[flowables]], colWidths=[width], hAlign="LEFT",
                spaceBefore=length(style.get("margin-top", "0"), size),
                spaceAfter=length(style.get("margin-bottom", "0"), size))
    box.setStyle([("FONT", (0, 0), (-1, -1), fonts.face(), size), ("BOX", (0, 0), (-1, -1), rule[0], HexColor(rule[1])), ("TOPPADDING", (0, 0), (-1, -1), pad[0]),
                  ("RIGHTPADDING", (0, 0), (-1, -1), pad[1]), ("BOTTOMPADDING", (0, 0), (-1, -1), pad[2]),
                  ("LEFTPADDING", (0, 0), (-1, -1), pad[3]), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    return box
