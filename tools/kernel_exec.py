#!/usr/bin/env python3
"""Runs code cells in a real Jupyter kernel and prints their outputs as JSON.

Usage: kernel_exec.py KERNEL_NAME CWD [TIMEOUT] [--queued | --timed] < cells.json   (a JSON list of code)
Unlike nbclient, it keeps listening briefly after the kernel reports idle, because the Deno
kernel can send outputs after its idle status. With --queued it sends every cell at once, as
JupyterLab's Run All does, and files each output under the cell its parent header names. With --timed it runs cells one by one,
prints `{"outputs": [...], "seconds": [...]}` (execute request to idle, per cell) and reports
each finished cell on stderr as it goes, as one JSON line: `{"cell", "of", "seconds", "outputs"}`.
"""
import json
import queue
import sys
import time

from jupyter_client.manager import start_new_kernel

GRACE_SECONDS = 0.5


def run_cell(kc, code, timeout, timing=None):
    """The cell's outputs; `timing`, a list, gets the seconds from the request to idle."""
    started = time.time()
    msg_id = kc.execute(code)
    outputs, idle_at, deadline = [], None, time.time() + timeout
    while True:
        wait = GRACE_SECONDS if idle_at else max(0.1, deadline - time.time())
        try:
            msg = kc.get_iopub_msg(timeout=wait)
        except queue.Empty:
            if idle_at:
                return outputs
            outputs.append({"type": "error", "ename": "Timeout", "evalue": f"cell ran over {timeout} s"})
            return outputs
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind in ("execute_result", "display_data"):
            outputs.append({"type": kind, "data": content["data"]})
        elif kind == "stream":
            outputs.append({"type": "stream", "name": content["name"], "text": content["text"]})
        elif kind == "error":
            outputs.append({"type": "error", "ename": content["ename"], "evalue": content["evalue"]})
        elif kind == "status" and content["execution_state"] == "idle":
            idle_at = time.time()
            if timing is not None:
                timing.append(idle_at - started)


def run_queued(kc, cells, timeout):
    ids = [kc.execute(code) for code in cells]
    owner = {msg_id: i for i, msg_id in enumerate(ids)}
    outputs = [[] for _ in cells]
    idle, last_idle_at, deadline = set(), None, time.time() + timeout
    while True:
        wait = GRACE_SECONDS if len(idle) == len(cells) else max(0.1, deadline - time.time())
        try:
            msg = kc.get_iopub_msg(timeout=wait)
        except queue.Empty:
            if len(idle) < len(cells):
                for i in range(len(cells)):
                    if i not in idle:
                        outputs[i].append({"type": "error", "ename": "Timeout", "evalue": f"cells ran over {timeout} s"})
            return outputs
        i = owner.get(msg["parent_header"].get("msg_id"))
        if i is None:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind in ("execute_result", "display_data"):
            outputs[i].append({"type": kind, "data": content["data"]})
        elif kind == "stream":
            outputs[i].append({"type": "stream", "name": content["name"], "text": content["text"]})
        elif kind == "error":
            outputs[i].append({"type": "error", "ename": content["ename"], "evalue": content["evalue"]})
        elif kind == "status" and content["execution_state"] == "idle":
            idle.add(i)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    kernel, cwd = args[0], args[1]
    timeout = float(args[2]) if len(args) > 2 else 600
    cells = json.load(sys.stdin)
    km, kc = start_new_kernel(kernel_name=kernel, cwd=cwd, startup_timeout=120)
    try:
        if "--queued" in sys.argv:
            json.dump(run_queued(kc, cells, timeout), sys.stdout)
        elif "--timed" in sys.argv:
            outputs, seconds = [], []
            for i, code in enumerate(cells):
                timing = []
                outputs.append(run_cell(kc, code, timeout, timing))
                seconds.append(timing[0] if timing else timeout)
                report = {"cell": i + 1, "of": len(cells), "seconds": seconds[-1], "outputs": outputs[-1]}
                print(json.dumps(report), file=sys.stderr, flush=True)
            json.dump({"outputs": outputs, "seconds": seconds}, sys.stdout)
        else:
            json.dump([run_cell(kc, code, timeout) for code in cells], sys.stdout)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
