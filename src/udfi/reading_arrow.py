"""The fast CSV path: a plain UTF-8 file read by pyarrow, every column as a categorical of text.

`udfi.reading` decides when it applies and falls back to pandas' reader for everything else.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pandas.api.types import CategoricalDtype

__all__ = ["arrow_frame", "give_back_free_memory"]


def _file_bytes(path: Path) -> bytes | None:
    """The whole file, read once (None when it cannot be read): the quote check (`bytes.find`, C) and
    pyarrow's parser work on these bytes instead of the file being read twice. Read rather than
    memory-mapped: a file truncated while it is read gives short bytes (a clean error later), where a
    mapping would kill the process with SIGBUS."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def arrow_frame(path: Path, header: list[str], names: list[str],
                plain: frozenset[str] = frozenset()) -> pd.DataFrame | None:
    """The fast path for a plain UTF-8 file: pyarrow's CSV reader, every column dictionary-encoded (a
    categorical of text: a million-row ledger holds each distinct date or id once, not a million strings)
    except the columns named in `plain`, kept as Arrow text (`pd.ArrowDtype(pa.string())`): a ledger's
    amounts are mostly distinct, and building and unifying their dictionary costs more than reading
    every cell (the cell parser reads such a column cell by cell, `validate_cells.plain_money_cents`).

    None, and pandas' reader decides, for anything else: a file with a quote character anywhere (the
    two parsers differ on an unterminated or stray quote), a short or a long row, bytes that are not
    UTF-8, a header pyarrow splits differently from the csv module. On the files it accepts the cells
    are the text pandas' C parser gives (tests/test_reading_fast.py compares both on generated files)."""
    import pyarrow as pa  # noqa: PLC0415 — pandas has loaded it already
    import pyarrow.csv as pa_csv  # noqa: PLC0415

    if len(set(header)) != len(header):
        return None
    data = _file_bytes(path)
    if not data or data.find(b'"') >= 0:   # an empty file: pandas' reader says what it lacks
        return None
    text = pa.dictionary(pa.int32(), pa.string())
    plain_header = {raw for raw, name in zip(header, names) if name in plain}
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            parse_options=pa_csv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() if name in plain_header else text
                                                                for name in header},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowException, OSError, ValueError):
        return None
    finally:
        del data   # the parsed table holds copies of the cells
    if table.column_names != header:
        return None
    columns = {}
    for position, name in enumerate(names):
        column = table.column(position)
        columns[name] = (pd.arrays.ArrowExtensionArray(column) if pa.types.is_string(column.type)
                         else _categorical(column))
    del table
    # The parsed file's buffers are free now: give their pages back, or the rest of validation runs
    # beside them instead of in them.
    give_back_free_memory()
    return pd.DataFrame(columns, copy=False)


def _categorical(column) -> pd.Categorical:
    """A dictionary-encoded column as the categorical `ChunkedArray.to_pandas` gives (same categories in
    the same order, same codes) at half its cost: the chunks' dictionaries are unified once by
    concatenating them, and neither the codes nor the categories are checked again (pyarrow's unified
    dictionary holds each value once: pandas' check that they are distinct hashes every category again,
    a ledger's 200,000 distinct amounts). The categories are Python strings (object dtype): the cell
    parser reads each distinct value as one, so it is converted once."""
    combined = column.combine_chunks()   # one dictionary, its values distinct, in order of first appearance
    categories = pd.Index(combined.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    codes = combined.indices.to_numpy(zero_copy_only=False)
    try:   # the dtype from_codes builds, without its validation
        dtype = CategoricalDtype._from_fastpath(categories, None)
        return pd.Categorical._simple_new(codes, dtype=dtype)
    except AttributeError:   # another pandas: its public constructor
        return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def give_back_free_memory() -> None:
    """Return freed heap pages to the system: Arrow's pool (malloc's, which udfi/__init__.py selects:
    there this is glibc's malloc_trim). After a large table is read or validated, the freed pages of its
    intermediates are scattered between live blocks, and later large arrays would otherwise be mapped
    beside them rather than in them."""
    import pyarrow as pa  # noqa: PLC0415 — pandas has loaded it already

    pa.default_memory_pool().release_unused()
