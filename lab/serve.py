"""Serve the cglab lab app (JupyterLab assembled in lab/build) with Debian's jupyterlab_server.

Usage: serve.py [jupyter_server options], e.g. --ServerApp.port=8888 --ServerApp.root_dir=notebooks.
Kernels and prebuilt extensions come from JUPYTER_PATH (the set-up registers both in .jupyter/).
"""
import json
import os

from jupyterlab_server import LabServerApp

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
# Settings the user changes and saved workspaces: per checkout, outside the tracked tree.
STATE = os.environ.get("CGLAB_LAB_STATE", os.path.join(HERE, "..", ".jupyter", "lab"))

with open(os.path.join(HERE, "..", "kernel-lib", "package.json"), encoding="utf-8") as f:
    VERSION = json.load(f).get("version", "0.0.0")


def _jupyter_server_extension_points():
    # jupyter_server finds the app to start through this hook of the running module.
    return [{"module": __name__, "app": CglabLab}]


class CglabLab(LabServerApp):
    name = __name__
    extension_url = "/lab"
    default_url = "/lab"
    load_other_extensions = False
    app_name = "cglab lab"
    app_version = VERSION
    static_dir = os.path.join(BUILD, "static")
    templates_dir = os.path.join(HERE, "templates")
    schemas_dir = os.path.join(BUILD, "schemas")
    themes_dir = os.path.join(BUILD, "themes")
    # Admin defaults (page_config.json, overrides.json) would go here; none are needed so far.
    app_settings_dir = os.path.join(HERE, "settings")
    user_settings_dir = os.path.join(STATE, "user-settings")
    workspaces_dir = os.path.join(STATE, "workspaces")

    def initialize_settings(self):
        super().initialize_settings()
        # No terminal plugin is built in; say so rather than offer a broken launcher item.
        self.serverapp.web_app.settings["terminals_available"] = False


if __name__ == "__main__":
    CglabLab.launch_instance()
