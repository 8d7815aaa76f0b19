"""Running a function in a forked child, as a gunicorn worker runs after the master's fork."""

from __future__ import annotations

import json
import os
import select
import signal
import traceback
from collections.abc import Callable
from typing import Any


def in_forked_child(work: Callable[[], Any], *, timeout: float = 30.0) -> Any:
    """``work()`` run in a child forked from this process; its JSON result, or AssertionError
    with the child's traceback. A child that hangs (a thread it waits for did not fork) is
    killed after ``timeout`` seconds."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, and leave without running the parent's clean-up
        os.close(read_end)
        try:
            answer = {"result": work()}
        except BaseException:
            answer = {"error": traceback.format_exc()}
        try:
            os.write(write_end, json.dumps(answer, default=str).encode("utf-8"))
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        chunks = []
        while True:
            ready, _, _ = select.select([read_end], [], [], timeout)
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"the forked child did not finish in {timeout} s")
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    answer = json.loads(b"".join(chunks) or b'{"error": "the child said nothing"}')
    if "error" in answer:
        raise AssertionError(f"in the forked child:\n{answer['error']}")
    return answer["result"]
