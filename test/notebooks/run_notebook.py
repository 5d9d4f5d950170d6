"""Execute one notebook headless on the tslab kernel, strictly (the first error fails).

Usage: run_notebook.py NOTEBOOK [OUT]. Writes the executed notebook to OUT when given.
"""
import sys

import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
client = NotebookClient(
    nb,
    kernel_name="tslab",
    timeout=600,
    allow_errors=False,
    resources={"metadata": {"path": path.rsplit("/", 1)[0] if "/" in path else "."}},
)
client.execute()
if len(sys.argv) > 2:
    nbformat.write(nb, sys.argv[2])
