"""The fast CSV path: a plain UTF-8 file read by pyarrow, every column as a categorical of text.

`udfi.reading` decides when it applies and falls back to pandas' reader for everything else.
"""

from __future__ import annotations

import mmap
from pathlib import Path

import pandas as pd
from pandas.api.types import CategoricalDtype

__all__ = ["arrow_frame", "give_back_free_memory"]


def _mapped(path: Path) -> mmap.mmap | None:
    """The file mapped read-only (None when empty or not mappable): the quote check and pyarrow's
    parser read the same pages once, in C, instead of the file being read twice through Python."""
    try:
        with open(path, "rb") as handle:
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):   # ValueError: an empty file cannot be mapped
        return None


def arrow_frame(path: Path, header: list[str], names: list[str]) -> pd.DataFrame | None:
    """The fast path for a plain UTF-8 file: pyarrow's CSV reader, every column dictionary-encoded (a
    categorical of text: a million-row ledger holds each distinct date or id once, not a million strings).

    None, and pandas' reader decides, for anything else: a file with a quote character anywhere (the
    two parsers differ on an unterminated or stray quote), a short or a long row, bytes that are not
    UTF-8, a header pyarrow splits differently from the csv module. On the files it accepts the cells
    are the text pandas' C parser gives (tests/test_reading_fast.py compares both on generated files)."""
    import pyarrow as pa  # noqa: PLC0415 — pandas has loaded it already
    import pyarrow.csv as pa_csv  # noqa: PLC0415

    if len(set(header)) != len(header):
        return None
    mapped = _mapped(path)
    if mapped is None or mapped.find(b'"') >= 0:   # an empty file: pandas' reader says what it lacks
        return None
    text = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(mapped),
            parse_options=pa_csv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types={name: text for name in header},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowException, OSError, ValueError):
        return None
    finally:
        del mapped   # unmapped once pyarrow's buffer of it is gone (the parsed table holds copies)
    if table.column_names != header:
        return None
    columns = {}
    for position, name in enumerate(names):
        columns[name] = _categorical(table.column(position))
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
