"""udfi — Form 990-T preparation for retirement accounts that own debt-financed real estate (IRC §514)."""

import os

__version__ = "0.1.0"

# Arrow (the CSV reader, pandas' text columns) allocates with malloc, not its own mimalloc pool, which
# keeps the pages Arrow frees for Arrow alone: with malloc they serve the parse and checks that follow
# (validating a 1.5-million-row book peaks ≈ 80 MB lower). Read when pyarrow loads, so set here, before
# pandas is imported; a value the user set is kept.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
