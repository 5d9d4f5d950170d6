"""Run CODE on a fresh tslab kernel and print, as JSON, the display messages it published.

Usage: kernel_display.py CWD CODE. Each message: {type, keys (sorted MIME types), display_id}.
"""
import json
import sys

from jupyter_client.manager import start_new_kernel

cwd, code = sys.argv[1], sys.argv[2]
km, kc = start_new_kernel(kernel_name="tslab", cwd=cwd)
try:
    msg_id = kc.execute(code)
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        content = msg["content"]
        if kind in ("display_data", "update_display_data"):
            out.append({
                "type": kind,
                "keys": sorted(content["data"]),
                "display_id": content.get("transient", {}).get("display_id"),
            })
        elif kind == "stream":
            out.append({"type": "stream", "text": content["text"]})
        elif kind == "error":
            out.append({"type": "error", "content": content})
        elif kind == "status" and content["execution_state"] == "idle":
            break
    print(json.dumps(out))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
