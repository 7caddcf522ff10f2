"""The pack's region stage (the thread that writes the overview, PDFs and table exports beside the runs) is
waited for to its end however the build is stopped."""

import signal
import threading
import time
from types import SimpleNamespace

import pytest

from quotabook.pack import build


def _interrupt_after(seconds: float) -> None:
    """Raise KeyboardInterrupt in the main thread after ``seconds``, as Ctrl-C or SIGTERM's handler does."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def test_a_stop_during_the_wait_for_the_stage_waits_for_its_job_to_end(monkeypatch):
    # The build stopped (SIGTERM) while finish() waited for the last job: stop() must still wait for that job
    # (e.g. Chromium closing) to end. Python 3.11's Thread.join, interrupted, marks the running thread stopped,
    # so a second join returned at once and the build exited under the thread (a segfault at shutdown).
    done = threading.Event()

    def slow_overview(plan):
        time.sleep(1.0)
        done.set()
        return None, "not written"

    monkeypatch.setattr(build, "write_overview", slow_overview)
    manifest: dict = {}
    stage = build._RegionStage(SimpleNamespace(regions=[], formats=["html"]), manifest, [], lambda: None,
                               threading.Lock())
    previous = signal.getsignal(signal.SIGALRM)
    try:
        stage.write_overview()
        _interrupt_after(0.2)
        with pytest.raises(KeyboardInterrupt):
            stage.finish()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not done.is_set()  # interrupted while the job ran
    stage.stop()
    assert done.is_set() and manifest["overview_error"] == "not written"


def test_a_failing_stage_still_ends_and_reports_the_error(monkeypatch):
    def broken(plan):
        raise RuntimeError("no disk")

    monkeypatch.setattr(build, "write_overview", broken)
    stage = build._RegionStage(SimpleNamespace(regions=[], formats=["html"]), {}, [], lambda: None,
                               threading.Lock())
    stage.write_overview()
    with pytest.raises(RuntimeError, match="no disk"):
        stage.finish()
    stage.stop()  # nothing left to wait for: returns
