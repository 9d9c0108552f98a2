import sys
from pathlib import Path

# Test helpers (bookbuilder) live beside the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402

from shared_documents import FIRST, SharedDocuments, unit_of  # noqa: E402


@pytest.fixture(scope="session")
def shared_documents(tmp_path_factory) -> SharedDocuments:
    """The sample and six-property books' results and documents, built once a session (read-only)."""
    return SharedDocuments(tmp_path_factory.mktemp("shared-documents"))


# `make test` runs `pytest -n 2 --dist loadscope`: each module's tests go to one xdist worker as a unit, so a
# module-scoped fixture is built once, not once per worker (with `--dist load` both workers built them).
# Modules reading the same session fixture are one unit, so it is built once too. (`--dist loadgroup` with
# xdist_group marks would say this per test, but xdist 3.8 cannot group under pytest 9.2: its nodeid
# suffix no longer takes effect — pytest-dev/pytest-xdist#1386.)
@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def _assign_work_unit(self, node) -> None:
            if not getattr(self, "_ordered", False):
                self._ordered = True
                for unit in reversed(FIRST):
                    if unit in self.workqueue:
                        self.workqueue.move_to_end(unit, last=False)
            super()._assign_work_unit(node)

    return SharedFixtureScheduling(config, log)
