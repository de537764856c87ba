# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A large due sweep spread over the controller's CPUs.

Signing and validating certificates is CPU work that one Python process does on one core
(the GIL): threads do not help, processes do. ``run_split`` runs one share of the work in
this process and each other share in a forked child with its own inventory connection;
each child sends its share's return value back through a pipe. The children write the
inventory themselves (their own transactions, the store's locking as between any two
runs), so what they did is durable before this process hears of it.

Only connectors whose objects work in a forked child say so (``Connector.can_fork``): the
embedded CA with its key in a file. Sockets, HTTP sessions and token sessions do not
survive a fork.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import pickle
import traceback

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PkiError

PROCESSES_ENV = 'PKI_LIFECYCLE_SWEEP_PROCESSES'
# Past this many processes the inventory's single writer is the bottleneck, not the CPUs.
MAX_PROCESSES = 4
# Below this many certificates per process a fork costs more than it saves.
MIN_SHARE = 500


def sweep_processes():
    """How many processes a due sweep may use: PKI_LIFECYCLE_SWEEP_PROCESSES (1: this one
    only), else the CPUs this process may run on, at most MAX_PROCESSES."""
    value = os.environ.get(PROCESSES_ENV, '').strip()
    if value:
        try:
            count = int(value)
        except ValueError:
            count = 0
        if count < 1:
            raise InputError('%s=%r is not a positive whole number.' % (PROCESSES_ENV, value),
                             'Set it to the number of processes a due sweep may use (1: no others), or unset it.')
        return count
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:   # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_PROCESSES))


def shares(items):
    """``items`` cut into contiguous shares, one per process: [items] when one process does.
    Automatically, a process gets at least MIN_SHARE items; PKI_LIFECYCLE_SWEEP_PROCESSES
    set, it is the number of processes (no more than items)."""
    processes = sweep_processes()
    least = 1 if os.environ.get(PROCESSES_ENV, '').strip() else MIN_SHARE
    count = max(1, min(processes, len(items) // least))
    size, extra = divmod(len(items), count)
    out, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        out.append(items[start:end])
        start = end
    return out


class ShareFailed(Exception):
    """A child process ended without returning its share's value."""


def run_split(ctx, parts, work):
    """``work(ctx, part)`` for each of ``parts``: the first here, each other in a forked
    child. Returns, in the order of ``parts``, each value, or a ShareFailed for a share whose
    process failed (what failed in the message). An exception of the first share is raised
    once every child has been reaped."""
    children = []
    try:
        for part in parts[1:]:
            children.append(_fork(ctx, part, work))
        values = [work(ctx, parts[0])]
    finally:
        # Always reap every child, even when this share failed: no zombie, no orphan writer.
        outcomes = [_collect(pid, fd) for pid, fd in children]
    return values + outcomes


def _fork(ctx, part, work):
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return pid, read_fd
    # The child: never returns, never runs the parent's exit handlers or finalizers.
    os.close(read_fd)
    try:
        ctx.reopen_store()
        outcome = (True, work(ctx, part))
    except BaseException as exc:  # pylint: disable=broad-except
        # A lifecycle error says what to do; anything else is named with where it happened.
        outcome = (False, str(exc) if isinstance(exc, PkiError) else traceback.format_exc().strip().splitlines()[-1])
    try:
        with os.fdopen(write_fd, 'wb') as pipe:
            pickle.dump(outcome, pipe, pickle.HIGHEST_PROTOCOL)
        ctx.close()
    finally:
        os._exit(0)  # pylint: disable=protected-access


def _collect(pid, fd):
    # Read before waiting: a child blocks on a full pipe until its value is read.
    try:
        with os.fdopen(fd, 'rb') as pipe:
            outcome = pickle.load(pipe)
    except Exception:  # pylint: disable=broad-except
        outcome = None
    _pid, status = os.waitpid(pid, 0)
    if outcome is None:
        if os.WIFSIGNALED(status):
            return ShareFailed('it was killed by signal %d' % os.WTERMSIG(status))
        return ShareFailed('it ended without a result (exit status %d)' % os.WEXITSTATUS(status))
    ok, value = outcome
    return value if ok else ShareFailed(value)
