"""How every line of the return was computed: `derivations(result)` and `add_derivations(...)`.

A derivation maps a key to ``{"value", "operation", "inputs", "citation"}`` (plus ``"exact"`` when a
whole-dollar line comes from an amount in cents, and ``"source"`` when the figure is read from the
book: file, spreadsheet rows, count). An input is a plain value or ``{"ref": key, "value": ...}``
pointing at another derivation, so a line can be followed down to the ledger rows it sums.

Keys:
  form lines        ``schedule_a.part_v.<property_id>.<line>`` (and ``schedule_a.part_v.<A-D>.<line>`` for
                    the printed columns), ``schedule_a.part_i.7a``, ``schedule_a.part_ii.17``,
                    ``form_990t.part_i.11``, ``form_990t.part_iv.5.<activity code>``, ...
  supporting        ``property.<id>.…`` (ledger sums, depreciation by year, basis, monthly debt, sale),
                    ``loan.<id>.…`` (balances, acquisition share), ``carryover.…``, ``gross_unrelated_income``.

Without the book (``book=None``) a ledger figure names the rows by filter only; with it, it lists
the spreadsheet row numbers (`source_row`).
"""

from udfi.explain.builder import add_derivations, derivations
from udfi.explain.keys import line_keys, line_value
from udfi.explain.rows import BookColumns, BookRows

__all__ = ["BookColumns", "BookRows", "add_derivations", "derivations", "line_keys", "line_value"]
