"""Which process runs a background job, and whether that process is gone.

A job runs as a background task of the process that accepted it (profiles' roster imports, the
gateway's learner exports), so a process exit leaves it ``queued`` or ``running`` for ever. Each
job records its runner as ``host:pid:token``; on start-up a service looks for jobs of a runner on
its own host that is gone: its pid is not alive, or it is our own pid with another token (a
restarted container is pid 1 again). A runner on another host cannot be checked from here and is
left alone.
"""

import os
import secrets
import socket

__all__ = ["runner_is_gone", "this_runner"]

# Tells this process from an earlier one that had the same host and pid.
_TOKEN = secrets.token_hex(4)


def this_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_TOKEN}"[:200]


def runner_is_gone(runner: str | None) -> bool:
    if runner is None:
        return True  # written before runners were recorded: no process of ours still runs it
    parts = runner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid, token = int(parts[1]), parts[2]
    if pid == os.getpid():
        return token != _TOKEN
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False
