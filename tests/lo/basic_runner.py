"""Run Basic functions of a workbook's macros in headless LibreOffice; run with the system Python (it needs `uno`).

    python3 basic_runner.py WORKBOOK CALLS_JSON

CALLS_JSON is a list of [module, function, [arguments]]. Prints one JSON object: the Basic
libraries and module texts LibreOffice imported from the workbook, and each call's result.
"""

import contextlib
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

VBA_FILTER = "Calc MS Excel 2007 VBA XML"
ALWAYS_EXECUTE_NO_WARN = 4


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe, deadline):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main(workbook, calls):
    pipe = f"basic-runner-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as profile:
        office = subprocess.Popen(
            [
                "soffice",
                "--headless",
                "--invisible",
                "--norestore",
                "--nolockcheck",
                f"-env:UserInstallation={Path(profile).as_uri()}",
                f"--accept=pipe,name={pipe};urp;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            context = connect(pipe, time.monotonic() + 90)
            desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
            document = desktop.loadComponentFromURL(
                Path(workbook).resolve().as_uri(),
                "_blank",
                0,
                (
                    prop("Hidden", True),
                    prop("FilterName", VBA_FILTER),
                    prop("MacroExecutionMode", ALWAYS_EXECUTE_NO_WARN),
                ),
            )
            if document is None:
                print(json.dumps({"error": "LibreOffice could not open the workbook"}))
                return 1
            libraries = document.BasicLibraries
            modules = {}
            for library in libraries.ElementNames:
                libraries.loadLibrary(library)
                container = libraries.getByName(library)
                for name in container.ElementNames:
                    modules[f"{library}.{name}"] = container.getByName(name)
            provider = document.ScriptProvider
            results = []
            for module, function, arguments in calls:
                library = next((m.split(".")[0] for m in modules if m.split(".", 1)[1] == module), "Standard")
                script = provider.getScript(
                    f"vnd.sun.star.script:{library}.{module}.{function}?language=Basic&location=document"
                )
                typed = tuple(uno.Any("long", a) if isinstance(a, int) else a for a in arguments)
                value, _, _ = uno.invoke(script, "invoke", (typed, (), ()))
                results.append([module, function, arguments, value])
            document.close(True)
            print(json.dumps({"modules": modules, "results": results}))
            return 0
        finally:
            with contextlib.suppress(Exception):
                desktop.terminate()
            try:
                office.wait(timeout=20)
            except subprocess.TimeoutExpired:
                office.kill()
                office.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], json.loads(Path(sys.argv[2]).read_text())))
