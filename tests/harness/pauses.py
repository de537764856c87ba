"""Runs stopped at a named stage: the test-only hook PKI_LIFECYCLE_TEST_PAUSE_AT makes each
process that reaches the stage write <stage>.<pid> into a directory and sleep there, so that a
test can SIGKILL it at that very point (the crash-safety and due-sweep process suites)."""
import os
import threading
import time

from harness.playbook import run_playbook


def run_until_paused(playbook, pauses, expected, kill, **run_kwargs):
    """Run ``playbook`` in the background until ``expected`` pause files are in ``pauses``; call
    ``kill({file name: pid})``; wait for the run; remove the pause files.
    Returns (the PlaybookRun, {file name: pid})."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault('run', run_playbook(playbook, **run_kwargs)))
    thread.start()
    deadline = time.monotonic() + 90
    while len(os.listdir(str(pauses))) < expected:
        assert thread.is_alive(), 'the playbook ended before pausing:\n' + box['run'].summary()
        assert time.monotonic() < deadline, 'no pause after 90 s: %s' % os.listdir(str(pauses))
        time.sleep(0.05)
    paused = dict((name, int(name.rsplit('.', 1)[1])) for name in os.listdir(str(pauses)))
    kill(paused)
    thread.join(120)
    assert not thread.is_alive(), 'the playbook did not end after the kill'
    for name in os.listdir(str(pauses)):
        os.unlink(os.path.join(str(pauses), name))
    return box['run'], paused
