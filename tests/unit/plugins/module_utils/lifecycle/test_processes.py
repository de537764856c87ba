"""lifecycle/processes.py: how a due sweep is cut into shares, and run_split's forked children
(real forks, a real pipe; no store: the context here only records what was asked of it)."""
import os
import signal

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PkiError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import processes


class RecordingContext(object):
    def __init__(self):
        self.reopened = 0
        self.closed = 0

    def reopen_store(self):
        self.reopened += 1

    def close(self):
        self.closed += 1


def test_shares_are_contiguous_balanced_and_cover_everything(monkeypatch):
    monkeypatch.setenv(processes.PROCESSES_ENV, '3')
    items = list(range(10))
    parts = processes.shares(items)
    assert parts == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    monkeypatch.setenv(processes.PROCESSES_ENV, '4')
    assert processes.shares([1, 2]) == [[1], [2]]   # never an empty share
    assert processes.shares([]) == [[]]


def test_automatic_shares_hold_at_least_min_share(monkeypatch):
    monkeypatch.delenv(processes.PROCESSES_ENV, raising=False)
    monkeypatch.setattr(processes, 'sweep_processes', lambda: 2)
    assert len(processes.shares(list(range(processes.MIN_SHARE * 2 - 1)))) == 1
    parts = processes.shares(list(range(processes.MIN_SHARE * 2)))
    assert [len(p) for p in parts] == [processes.MIN_SHARE, processes.MIN_SHARE]


@pytest.mark.parametrize('value', ['0', '-2', 'many', '1.5'])
def test_a_bad_process_count_names_the_variable_and_the_fix(monkeypatch, value):
    monkeypatch.setenv(processes.PROCESSES_ENV, value)
    with pytest.raises(InputError) as raised:
        processes.sweep_processes()
    assert processes.PROCESSES_ENV in raised.value.message and 'unset it' in raised.value.hint


def test_automatic_count_is_the_usable_cpus_capped(monkeypatch):
    monkeypatch.delenv(processes.PROCESSES_ENV, raising=False)
    expected = min(len(os.sched_getaffinity(0)), processes.MAX_PROCESSES)
    assert processes.sweep_processes() == expected


def test_run_split_returns_each_share_in_order_from_its_own_process():
    ctx = RecordingContext()
    values = processes.run_split(ctx, [[1, 2], [3], [4, 5, 6]], lambda c, part: (os.getpid(), c.reopened, sum(part)))
    assert [v[2] for v in values] == [3, 3, 15]
    pids = [v[0] for v in values]
    assert pids[0] == os.getpid() and len(set(pids)) == 3
    # Each child opened a store of its own; this process did not.
    assert [v[1] for v in values] == [0, 1, 1] and ctx.reopened == 0


def test_a_failing_share_is_named_and_the_others_still_count():
    def work(_ctx, part):
        if part == 'refused':
            raise PkiError('The CA refused it.', 'Ask the CA.')
        if part == 'broken':
            return {}['missing']
        return part.upper()
    values = processes.run_split(RecordingContext(), ['here', 'refused', 'broken', 'fine'], work)
    assert values[0] == 'HERE' and values[3] == 'FINE'
    assert isinstance(values[1], processes.ShareFailed) and 'The CA refused it.' in str(values[1])
    assert isinstance(values[2], processes.ShareFailed) and "KeyError: 'missing'" in str(values[2])


def test_a_killed_share_is_reported_with_its_signal():
    def work(_ctx, part):
        if part == 'die':
            os.kill(os.getpid(), signal.SIGKILL)
        return part
    values = processes.run_split(RecordingContext(), ['here', 'die'], work)
    assert values[0] == 'here'
    assert isinstance(values[1], processes.ShareFailed) and 'killed by signal 9' in str(values[1])


def test_children_are_reaped_when_this_share_raises(monkeypatch):
    forked = []
    real_fork = processes._fork

    def fork(ctx, part, work):
        pid, fd = real_fork(ctx, part, work)
        forked.append(pid)
        return pid, fd
    monkeypatch.setattr(processes, '_fork', fork)

    def work(_ctx, part):
        if part == 'here':
            raise ValueError('this share failed')
        return part
    with pytest.raises(ValueError):
        processes.run_split(RecordingContext(), ['here', 'other', 'third'], work)
    assert len(forked) == 2
    for pid in forked:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)   # reaped already: no zombie left


def test_a_large_value_comes_back_whole():
    big = ['x' * 1000] * 2000   # far past a pipe's buffer: read before the child is waited for
    values = processes.run_split(RecordingContext(), ['a', 'b'], lambda c, part: big)
    assert values[1] == big
