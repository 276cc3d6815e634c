#!/usr/bin/python3
"""Runs code cells in a real Jupyter kernel and prints their outputs as JSON.

Usage: kernel_exec.py KERNEL_NAME CWD < cells.json   (a JSON list of code strings)
Unlike nbclient, it keeps listening briefly after the kernel reports idle, because the Deno
kernel can send outputs after its idle status.
"""
import json
import queue
import sys
import time

from jupyter_client.manager import start_new_kernel

GRACE_SECONDS = 0.5


def run_cell(kc, code, timeout):
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


def main():
    kernel, cwd = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 600
    cells = json.load(sys.stdin)
    km, kc = start_new_kernel(kernel_name=kernel, cwd=cwd, startup_timeout=120)
    try:
        json.dump([run_cell(kc, code, timeout) for code in cells], sys.stdout)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
