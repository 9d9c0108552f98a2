"""make test's xdist schedule (tests/conftest.py): the modules it groups and starts first exist, so a
renamed module cannot silently fall out of its unit (and rebuild the shared documents on both workers)."""

from pathlib import Path

from shared_documents import FIRST, GROUP, UNITS, unit_of

ROOT = Path(__file__).resolve().parents[1]


def test_every_module_the_schedule_names_exists():
    named = list(UNITS) + [unit for unit in FIRST if unit != GROUP]
    assert named and all((ROOT / module).is_file() for module in named), named


def test_tests_of_one_module_are_one_unit_and_the_shared_documents_readers_one():
    assert unit_of("tests/test_cli.py::test_quiet") == unit_of("tests/test_cli.py::test_other[a::b]") == "tests/test_cli.py"
    assert {unit_of(f"{module}::test_x") for module in UNITS} == {GROUP}
