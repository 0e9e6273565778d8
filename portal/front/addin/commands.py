"""`debtor-portal addin build | install | uninstall`: what the terminal says for each."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import install, package


def add_parser(sub: argparse._SubParsersAction) -> None:
    addin = sub.add_parser("addin", help="build or install the Excel add-in (the 'Debtor Portal' ribbon)")
    action = addin.add_subparsers(dest="addin_action", required=True)
    build = action.add_parser("build", help=f"write {package.FILE_NAME} from the sources in addin/")
    build.add_argument("--out", type=Path, help=f"where to write it (default: addin/{package.FILE_NAME} in a checkout)")
    for name, text in (("install", "put the add-in where Excel loads it"), ("uninstall", "remove the add-in")):
        one = action.add_parser(name, help=text)
        one.add_argument("--dry-run", action="store_true", help="only say what would be done")


def default_out() -> Path:
    """The checkout's addin/ folder; the current folder when running from an installed package."""
    source = package.source_dir()
    inside_package = source.parent == Path(__file__).resolve().parents[2]
    return (Path.cwd() if inside_package else source) / package.FILE_NAME


def run(args: argparse.Namespace, machine: install.Machine | None = None) -> int:
    try:
        return _run(args, machine)
    except (install.InstallError, package.AddinSourceError, OSError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, machine: install.Machine | None) -> int:
    if args.addin_action == "build":
        built = package.build(args.out or default_out())
        print(
            f"Built {built.path}\n  sha256 of the add-in:      {built.sha256}\n  sha256 of vbaProject.bin: {built.vba_sha256}"
        )
        return 0
    machine = machine or install.Machine.this()
    if machine.system == "other":
        print(install.no_excel_message())
        return 0
    plan = install.plan_install(machine) if args.addin_action == "install" else install.plan_uninstall(machine)
    if args.dry_run:
        print("Would do (nothing was changed):")
        for step in plan.steps:
            print(f"  - {step.says}")
    else:
        for said in install.carry_out(plan):
            print(f"  - {said}")
    for note in plan.notes:
        print(note)
    return 0
