"""The custodian batch behind `udfi prepare`, one module per responsibility.

- `run`: the run — validation, resume, chunks to worker processes, summary/exceptions/manifest.
- `package`: one chunk of accounts — compute, fill, render, write each account's package.
- `slicing`: per-account slices of the book; `records`: what is recorded per account;
  `files`: hashes, atomic writes and all-or-nothing packages; `progress`: the progress display.
"""
