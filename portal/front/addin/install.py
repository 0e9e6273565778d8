"""Putting the add-in where Excel loads add-ins at start-up, with what it needs from xlwings.

The ribbon calls `RunPython` in the xlwings add-in, so installing means: our add-in in Excel's
XLSTART folder, the xlwings add-in beside it in the same version as the xlwings package (on
macOS also xlwings' AppleScript), and the interpreter that has Debtor Portal in xlwings' user
configuration. Every step is planned first (`plan_install`), so `--dry-run` shows exactly what
`install` does.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import package

MAC_STARTUP = (
    "Library",
    "Group Containers",
    "UBF8T346G9.Office",
    "User Content.localized",
    "Startup.localized",
    "Excel",
)
MAC_SCRIPTS = ("Library", "Application Scripts", "com.microsoft.Excel")
MAC_CONFIG = ("Library", "Containers", "com.microsoft.Excel", "Data", "xlwings.conf")
XLWINGS_ADDIN = "xlwings.xlam"


class InstallError(Exception):
    """The add-in cannot be installed here; the message says why and what to do."""


@dataclass(frozen=True)
class Machine:
    """What installing depends on: the OS, the user's folders, this interpreter and the xlwings package."""

    platform: str  # sys.platform: "win32", "darwin", "linux"...
    home: Path
    appdata: Path | None  # %APPDATA% on Windows
    executable: Path  # the Python that has Debtor Portal installed
    xlwings_dir: Path | None  # the installed xlwings package's folder; None when it is not installed
    xlwings_version: str = ""

    @classmethod
    def this(cls) -> Machine:
        try:
            import xlwings
        except ImportError:
            xlwings_dir, version = None, ""
        else:
            xlwings_dir, version = Path(xlwings.__file__).resolve().parent, xlwings.__version__
        appdata = os.environ.get("APPDATA")
        return cls(
            sys.platform, Path.home(), Path(appdata) if appdata else None, Path(sys.executable), xlwings_dir, version
        )

    @property
    def system(self) -> str:
        if self.platform.startswith("win"):
            return "windows"
        return "macos" if self.platform == "darwin" else "other"

    def startup_folder(self) -> Path:
        """Excel's per-user XLSTART folder: every workbook in it opens when Excel starts."""
        if self.system == "windows":
            if self.appdata is None:
                raise InstallError("%APPDATA% is not set, so Excel's XLSTART folder cannot be found.")
            return self.appdata / "Microsoft" / "Excel" / "XLSTART"
        if self.system == "macos":
            return self.home.joinpath(*MAC_STARTUP)
        raise InstallError(_NO_EXCEL)

    def xlwings_config(self) -> Path:
        """xlwings' user configuration file (as `xlwings.USER_CONFIG_FILE` names it)."""
        if self.system == "macos":
            return self.home.joinpath(*MAC_CONFIG)
        return self.home / ".xlwings" / "xlwings.conf"

    def interpreter_key(self) -> str:
        return "INTERPRETER_MAC" if self.system == "macos" else "INTERPRETER_WIN"


_NO_EXCEL = (
    "Excel runs on Windows and macOS only, so the add-in cannot be installed on this computer. On a computer "
    "with Excel: install Python 3.11 or later, then 'pip install \"debtor-portal[excel]\"', then run "
    "'debtor-portal addin install' there and restart Excel (the README's 'Excel add-in' section has each step)."
)


@dataclass(frozen=True)
class Step:
    """One thing `install` or `uninstall` does: a sentence for the user, and the action."""

    says: str
    copy: tuple[Path, Path] | None = None  # (source, target)
    write: tuple[Path, str] | None = None  # (file, text)
    remove: Path | None = None
    build: Path | None = None  # build our add-in to this file


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = field(default=())  # what the user must still do by hand


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def config_with_interpreter(text: str, key: str, interpreter: Path) -> str:
    """xlwings.conf (lines of "KEY","value") with `key` set to `interpreter`, every other line kept."""
    line = f'"{key}","{interpreter}"'
    lines = text.splitlines()
    pattern = re.compile(rf'^\s*"{re.escape(key)}"\s*,', re.IGNORECASE)
    kept = [existing for existing in lines if not pattern.match(existing)]
    return "\n".join([*kept, line]) + "\n"


def plan_install(machine: Machine) -> Plan:
    """What installing the add-in does on `machine`; raises `InstallError` where it cannot be done."""
    startup = machine.startup_folder()
    if machine.xlwings_dir is None:
        raise InstallError(
            "The xlwings package is not installed in this Python, and the ribbon needs it: run "
            f"'{machine.executable} -m pip install \"debtor-portal[excel]\"', then 'debtor-portal addin install' again."
        )
    steps = [
        Step(f"Build the Debtor Portal add-in into {startup / package.FILE_NAME}", build=startup / package.FILE_NAME)
    ]
    bundled = machine.xlwings_dir / "addin" / XLWINGS_ADDIN
    installed = startup / XLWINGS_ADDIN
    version = machine.xlwings_version or "(unknown version)"
    if not bundled.is_file():
        raise InstallError(f"The xlwings package in {machine.xlwings_dir} has no {XLWINGS_ADDIN}: reinstall xlwings.")
    if not installed.is_file():
        steps.append(
            Step(
                f"Install the xlwings add-in {version} (not installed yet) into {installed}", copy=(bundled, installed)
            )
        )
    elif _sha256(installed) != _sha256(bundled):
        steps.append(
            Step(
                f"Replace the xlwings add-in in {installed}: it is not the one of the xlwings package {version}, "
                "and both must be the same version",
                copy=(bundled, installed),
            )
        )
    else:
        steps.append(Step(f"The xlwings add-in {version} in {installed} matches the xlwings package: kept"))
    if machine.system == "macos":
        script = f"xlwings-{machine.xlwings_version}.applescript"
        source, target = machine.xlwings_dir / script, machine.home.joinpath(*MAC_SCRIPTS) / script
        if not source.is_file():
            raise InstallError(f"The xlwings package in {machine.xlwings_dir} has no {script}: reinstall xlwings.")
        if target.is_file() and _sha256(target) == _sha256(source):
            steps.append(Step(f"xlwings' AppleScript {target} is in place: kept"))
        else:
            steps.append(
                Step(f"Copy xlwings' AppleScript (RunPython needs it on macOS) to {target}", copy=(source, target))
            )
    config = machine.xlwings_config()
    key = machine.interpreter_key()
    text = config.read_text(encoding="utf-8") if config.is_file() else ""
    wanted = config_with_interpreter(text, key, machine.executable)
    if wanted != text:
        steps.append(Step(f"Set {key} to {machine.executable} in {config}", write=(config, wanted)))
    else:
        steps.append(Step(f"{config} already names {machine.executable} as {key}: kept"))
    notes = ["Restart Excel (on macOS quit it with Cmd-Q first): the 'Debtor Portal' tab appears on the ribbon."]
    if machine.system == "macos":
        notes.append("On the first click, allow Excel to control Python when macOS asks (Apple Events).")
    return Plan(tuple(steps), tuple(notes))


def plan_uninstall(machine: Machine) -> Plan:
    """What removing the add-in does: our add-in goes; xlwings and its configuration stay (other tools may use them)."""
    target = machine.startup_folder() / package.FILE_NAME
    if target.exists():
        steps = (Step(f"Remove {target}", remove=target),)
    else:
        steps = (Step(f"{target} is not there: nothing to remove"),)
    return Plan(
        steps,
        ("The xlwings add-in and xlwings.conf were left as they are: 'xlwings addin remove' removes the add-in.",),
    )


def carry_out(plan: Plan) -> list[str]:
    """Do every step of `plan`; what was done, one sentence each."""
    done: list[str] = []
    for step in plan.steps:
        try:
            _do(step)
        except PermissionError as exc:
            raise InstallError(
                f"{exc.filename or 'A file'} is in use or read-only (is Excel running?): quit Excel and run the "
                f"command again. Done so far: {'; '.join(done) or 'nothing'}."
            ) from None
        done.append(step.says)
    return done


def _do(step: Step) -> None:
    if step.build is not None:
        package.build(step.build)
    if step.copy is not None:
        source, target = step.copy
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    if step.write is not None:
        path, text = step.write
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if step.remove is not None:
        step.remove.unlink(missing_ok=True)


def no_excel_message() -> str:
    return _NO_EXCEL
