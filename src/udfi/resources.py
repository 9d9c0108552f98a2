"""Locate the project's data folders (`schemas/`, `templates/`, packaged parameters).

In a source checkout (editable install) they sit at the repository root; a built wheel carries
copies under ``udfi/_data``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"udfi data folder {name!r} not found (looked in {packaged} and {checkout})")


def read_yaml(text: str):
    """The project's own YAML data through libyaml when PyYAML has it (the same data; the pure-Python
    parser costs several times more, and every process — each batch worker — reads these files)."""
    import yaml  # noqa: PLC0415

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def schemas_dir() -> Path:
    return _data_dir("schemas")


def templates_dir() -> Path:
    return _data_dir("templates")


def parameters_dir() -> Path:
    return _PACKAGE / "parameters"
