"""The limits one upload must keep (defaults of `udfi serve`); kept free of web imports so the CLI
can show them without loading the framework."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UploadLimits:
    max_upload_bytes: int = 25 * 1024 * 1024
    max_unpacked_bytes: int = 250 * 1024 * 1024
    max_members: int = 500
    max_ratio: int = 200                   # uncompressed : compressed, for members above ratio_floor_bytes
    ratio_floor_bytes: int = 1024 * 1024   # smaller members may compress as they like
    time_limit_seconds: float = 120.0      # one check, or one package build, in the child process
    memory_mb: int | None = 4096           # address-space limit of the child process
