"""Work run on a thread of its own beside the caller's (issue #16): numpy's and Arrow's kernels run
without the interpreter's lock, so validation's column work and the caller's parsing share the cores."""

from __future__ import annotations

import threading


class Thread(threading.Thread):
    """A function run on a thread of its own; `result()` waits for it and returns its value or raises its error."""

    def __init__(self, function, *args):
        super().__init__(name=f"udfi-{function.__name__}", daemon=True)
        self._call, self._value, self._error = (function, args), None, None

    def run(self) -> None:
        function, args = self._call
        try:
            self._value = function(*args)
        except BaseException as exc:  # noqa: BLE001 — raised again in the caller's thread by result()
            self._error = exc
        finally:
            del self._call   # what it was given (a ledger's text) is released as soon as it is done

    def result(self):
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


def on_a_thread(function, *args) -> Thread:
    """Start `function(*args)` on a thread: for numpy's and Arrow's work, which runs without the
    interpreter's lock, beside this thread's parsing (much of which does too)."""
    thread = Thread(function, *args)
    thread.start()
    return thread
