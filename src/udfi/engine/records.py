"""`@record`: a frozen dataclass whose constructor is cheap.

The engine builds a dozen frozen dataclasses for every account and year (a Part V column, a
Schedule A, its NOL year, a Form 990-T, a Form 2220 of 38 lines …). The `__init__` that
`dataclass(frozen=True)` generates must go around its own `__setattr__` guard and calls
`object.__setattr__` once per field — about twice the cost of a plain class, 40 % of the time spent
building them. `record` keeps everything `dataclass(frozen=True)` gives (fields, defaults and
factories, `__eq__`, `__hash__`, `__repr__`, the `FrozenInstanceError` on assignment, `replace`,
pickling) and replaces only `__init__` with one that writes the fields into the instance's
`__dict__` in field order — the same `__dict__`, so the same pickle bytes.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields

_FACTORY = object()   # "use the field's default factory" (a caller cannot pass it by accident)


def record(cls: type) -> type:
    """`@dataclass(frozen=True)` with a constructor that stores the fields directly (see module doc)."""
    cls = dataclass(frozen=True)(cls)
    if "__post_init__" in dir(cls):
        raise TypeError(f"{cls.__name__}: @record does not run __post_init__; use @dataclass(frozen=True)")
    names, defaults, lines = [], {"_FACTORY": _FACTORY}, []
    for item in fields(cls):
        if not item.init or item.kw_only:
            raise TypeError(f"{cls.__name__}.{item.name}: @record supports positional init fields only")
        name = item.name
        if item.default is not MISSING:
            defaults[f"_default_{name}"] = item.default
            names.append(f"{name}=_default_{name}")
            lines.append(f"    values[{name!r}] = {name}")
        elif item.default_factory is not MISSING:
            defaults[f"_factory_{name}"] = item.default_factory
            names.append(f"{name}=_FACTORY")
            lines.append(f"    values[{name!r}] = _factory_{name}() if {name} is _FACTORY else {name}")
        else:
            if any("=" in previous for previous in names):
                raise TypeError(f"{cls.__name__}.{name}: a field without a default follows one with a default")
            names.append(name)
            lines.append(f"    values[{name!r}] = {name}")
    source = (f"def __init__(self{''.join(', ' + name for name in names)}):\n"
              "    values = self.__dict__\n" + ("\n".join(lines) or "    pass") + "\n")
    namespace: dict = {}
    exec(source, defaults, namespace)   # the generated source names only the fields above
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init
    return cls
