"""The Excel add-in built on Linux: the same bytes every time, a well-formed package, a VBA project that
independent readers (olefile, cfb, olevba, LibreOffice) read back as our sources, and a ribbon whose
every callback exists in the VBA."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import cfb
import olefile
import pytest
from cfb.exceptions import WarningDefect
from oletools.olevba import VBA_Parser

from portal.front import cli
from portal.front.addin import install, ovba, package

from . import addin_checks as checks
from .conftest import ROOT

SOURCES = ROOT / "addin"
RUNNER = Path(__file__).resolve().parent / "lo" / "basic_runner.py"
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with python3-uno for LibreOffice


@pytest.fixture(scope="module")
def built() -> bytes:
    return package.xlam(package.read_sources(SOURCES))


def _vba(xlam: bytes) -> bytes:
    return checks.parts(xlam)["xl/vbaProject.bin"]


def _olevba_modules(xlam: bytes) -> dict[str, str]:
    parser = VBA_Parser("DebtorPortal.xlam", data=xlam)
    try:
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_two_builds_are_byte_identical(tmp_path):
    first = package.build(tmp_path / "one" / package.FILE_NAME)
    second = package.build(tmp_path / "two" / package.FILE_NAME)
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()


def test_the_package_has_its_parts_content_types_and_both_relationships(built):
    assert checks.package_problems(built) == []
    names = list(checks.parts(built))
    assert names == sorted(names)
    with zipfile.ZipFile(io.BytesIO(built)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_package_without_the_ribbon_relationship_is_flagged(built):
    files = checks.parts(built)
    files["_rels/.rels"] = files["_rels/.rels"].replace(
        b"2006/relationships/ui/extensibility", b"2007/relationships/ui/extensibility"
    )
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(b"addin.macroEnabled", b"sheet.macroEnabled")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    problems = checks.package_problems(buffer.getvalue())
    assert any("ribbon" in p for p in problems) and any("add-in content type" in p for p in problems)


def test_every_ribbon_callback_has_its_sub_and_the_groups_are_the_issues():
    sources = package.read_sources(SOURCES)
    vba = {m.name: m.source for m in sources.modules}
    assert checks.ribbon_problems(sources.ribbon, vba) == []


def test_a_renamed_callback_or_sub_is_caught(tmp_path):
    folder = tmp_path / "addin"
    shutil.copytree(SOURCES, folder)
    ribbon = folder / "customUI.xml"
    ribbon.write_text(
        ribbon.read_text().replace(
            'onAction="DebtorPortalAction"/>\n        </group>\n        <group id="GroupDebtors"',
            'onAction="DebtorPortalGo"/>\n        </group>\n        <group id="GroupDebtors"',
            1,
        )
    )
    sources = package.read_sources(folder)
    assert any(
        "DebtorPortalGo" in p
        for p in checks.ribbon_problems(sources.ribbon, {m.name: m.source for m in sources.modules})
    )
    ribbon.write_text((SOURCES / "customUI.xml").read_text())
    bas = folder / "Ribbon.bas"
    bas.write_text(
        bas.read_text().replace(
            "Public Sub DebtorPortalScreentip(control As Object, ByRef returnedVal)",
            "Public Sub DebtorPortalScreentip(control As Object)",
        )
    )
    sources = package.read_sources(folder)
    problems = checks.ribbon_problems(sources.ribbon, {m.name: m.source for m in sources.modules})
    assert problems == [
        "getScreentip='DebtorPortalScreentip': no 'Public Sub DebtorPortalScreentip' with the callback's signature"
    ] * len(checks.button_tags(sources.ribbon))


def test_olefile_at_its_strictest_and_cfb_in_strict_mode_parse_the_container(built, tmp_path):
    data = _vba(built)
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_POTENTIAL)
    try:
        streams = {"/".join(path): ole.openstream(path).read() for path in ole.listdir()}
    finally:
        ole.close()
    expected = ovba.project_streams(
        package.PROJECT_NAME, package._PROJECT_ID, list(package.read_sources(SOURCES).modules)
    )
    assert streams == expected
    assert streams["VBA/_VBA_PROJECT"] == bytes.fromhex("CC61FFFF000100")
    path = tmp_path / "vbaProject.bin"
    path.write_bytes(data)
    with cfb.CfbIO(path, raise_if=WarningDefect) as container:
        entries = {}
        entry_id = 1
        while True:
            try:
                entry = container[entry_id]
            except KeyError:
                break
            if entry.type == 2:
                entries[entry.name] = entry.read()
            entry_id += 1
    assert entries == {path.split("/")[-1]: data for path, data in expected.items()}


def test_olevba_extracts_exactly_our_module_texts(built):
    extracted = _olevba_modules(built)
    assert {
        name: checks.module_text(code) for name, code in extracted.items() if name in package.STANDARD_MODULES
    } == checks.source_modules(SOURCES)
    assert set(extracted) == {"Ribbon", "Dispatch", "ThisWorkbook", "Sheet1"}


def test_a_changed_module_no_longer_matches_its_source(tmp_path):
    folder = tmp_path / "addin"
    shutil.copytree(SOURCES, folder)
    built = package.xlam(package.read_sources(folder))
    bas = folder / "Dispatch.bas"
    bas.write_text(bas.read_text().replace('Case "check": handler = "check"', 'Case "check": handler = "chek"'))
    extracted = _olevba_modules(built)
    assert checks.module_text(extracted["Dispatch"]) != checks.source_modules(folder)["Dispatch"]


def test_project_protection_fields_say_unprotected_no_password_visible():
    text = ovba.project_stream(package.PROJECT_NAME, package._PROJECT_ID, list(package.read_sources(SOURCES).modules))
    fields = dict(
        line.split("=", 1) for line in text.decode("cp1252").splitlines() if line[:4] in ("CMG=", "DPB=", 'GC="')
    )
    project_key = sum(package._PROJECT_ID.encode()) & 0xFF
    for name, plain in (("CMG", bytes(4)), ("DPB", b"\x00"), ("GC", b"\xff")):
        encrypted = bytes.fromhex(fields[name].strip('"'))
        seed, version, key = encrypted[0], encrypted[0] ^ encrypted[1], encrypted[0] ^ encrypted[2]
        assert (version, key) == (2, project_key)
        out, previous, before, plain_before = [], encrypted[2], encrypted[1], key
        for byte in encrypted[3:]:
            value = byte ^ ((before + plain_before) & 0xFF)
            out.append(value)
            before, previous, plain_before = previous, byte, value
        body = bytes(out[(seed & 6) // 2 :])
        assert int.from_bytes(body[:4], "little") == len(plain) and body[4:] == plain


def test_module_sources_are_ascii_and_named_in_their_first_line(tmp_path):
    folder = tmp_path / "addin"
    shutil.copytree(SOURCES, folder)
    (folder / "Ribbon.bas").write_text(
        (SOURCES / "Ribbon.bas").read_text().replace("Option Explicit", "' Vérifier\nOption Explicit")
    )
    with pytest.raises(package.AddinSourceError, match="only ASCII"):
        package.read_sources(folder)


def _run_in_libreoffice(xlam: Path, calls: list, tmp_path: Path) -> dict:
    calls_file = tmp_path / "calls.json"
    calls_file.write_text(json.dumps(calls))
    done = subprocess.run(
        [SYSTEM_PYTHON, str(RUNNER), str(xlam), str(calls_file)], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


LCIDS = {"en": 1033, "fr": 1036, "nl": 2067, "de": 1031}


def test_libreoffice_runs_the_dispatch_for_every_button(tmp_path):
    xlam = package.build(tmp_path / package.FILE_NAME).path
    sources = package.read_sources(SOURCES)
    tags = checks.button_tags(sources.ribbon)
    labels = checks.label_tags(sources.ribbon)
    calls = [["Dispatch", "PythonCall", [tag]] for tag in tags]
    calls += [["Dispatch", "PythonCall", ["no_such_button"]]]
    calls += [["Dispatch", "Label", [tag, lang]] for tag in labels for lang in LCIDS]
    calls += [["Dispatch", "Screentip", [tag, lang]] for tag in tags for lang in LCIDS]
    calls += [["Dispatch", "LanguageOf", [lcid]] for lcid in (*LCIDS.values(), 3084, 2060, 1043, 2055, 1049, 0)]
    ran = _run_in_libreoffice(xlam, calls, tmp_path)
    imported = {name.split(".", 1)[1]: checks.module_text(text) for name, text in ran["modules"].items()}
    assert {n: imported[n] for n in package.STANDARD_MODULES} == checks.source_modules(SOURCES)
    results = {(m, f, tuple(a)): value for m, f, a, value in ran["results"]}

    import portal.front.excel as handlers

    for tag in tags:
        call = results[("Dispatch", "PythonCall", (tag,))]
        statement, _, invocation = call.partition("; ")
        assert statement == "import portal.front.excel", call
        module, _, function = invocation.removesuffix("()").rpartition(".")
        assert module == "portal.front.excel" and invocation.endswith("()"), call
        assert callable(getattr(handlers, function, None)), f"{tag}: portal.front.excel has no {function}()"
    assert results[("Dispatch", "PythonCall", ("no_such_button",))] == ""
    for tag in labels:
        texts = [results[("Dispatch", "Label", (tag, lang))] for lang in LCIDS]
        assert all(texts) and not any("{" in t for t in texts), (tag, texts)
    assert results[("Dispatch", "Label", ("check", "fr"))] == "Vérifier"
    assert results[("Dispatch", "Label", ("overview", "de"))] == "Übersicht"
    for tag in tags:
        tips = [results[("Dispatch", "Screentip", (tag, lang))] for lang in LCIDS]
        assert all(tips) and len(set(tips)) == 4 and not any("{" in t for t in tips), (tag, tips)
    languages = [
        results[("Dispatch", "LanguageOf", (lcid,))] for lcid in (*LCIDS.values(), 3084, 2060, 1043, 2055, 1049, 0)
    ]
    assert languages == ["en", "fr", "nl", "de", "fr", "fr", "nl", "de", "en", "en"]


VERIFIED = SOURCES / "verified-in-excel.txt"


def test_the_built_vba_project_is_the_one_last_verified_in_excel():
    """When this fails, the VBA project changed: verify it in Excel (README, release checklist) and record its hash."""
    recorded = dict(
        line.split(":", 1) for line in VERIFIED.read_text().splitlines() if line.strip() and not line.startswith("#")
    )
    built = hashlib.sha256(package.vba_project(package.read_sources(SOURCES))).hexdigest()
    assert recorded["vbaProject.bin sha256"].strip() == built, (
        "The add-in's VBA project changed since it was last verified in Excel: follow the README's release checklist "
        f"on a machine with Excel, then record {built} in {VERIFIED.name}."
    )


# --------------------------------------------------------------------------------------------
# addin build / install / uninstall
# --------------------------------------------------------------------------------------------


def _machine(tmp_path: Path, platform: str) -> install.Machine:
    import xlwings

    return install.Machine(
        platform,
        home=tmp_path / "home",
        appdata=tmp_path / "home" / "AppData" / "Roaming",
        executable=Path("/opt/python/bin/python3"),
        xlwings_dir=Path(xlwings.__file__).resolve().parent,
        xlwings_version=xlwings.__version__,
    )


def _addin_cli(argv: list[str], machine: install.Machine, capsys) -> str:
    args = cli.parser().parse_args(argv)
    from portal.front.addin import commands

    assert commands.run(args, machine) == 0
    return capsys.readouterr().out


def test_install_on_windows_puts_both_add_ins_in_xlstart_and_sets_the_interpreter(tmp_path, capsys):
    machine = _machine(tmp_path, "win32")
    xlstart = tmp_path / "home" / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    config = tmp_path / "home" / ".xlwings" / "xlwings.conf"
    config.parent.mkdir(parents=True)
    config.write_text('"CONDA PATH","C:\\conda"\n"INTERPRETER_WIN","C:\\old\\python.exe"\n')
    said = _addin_cli(["addin", "install", "--dry-run"], machine, capsys)
    assert "Would do" in said and not xlstart.exists() and "old" in config.read_text()
    said = _addin_cli(["addin", "install"], machine, capsys)
    assert (xlstart / package.FILE_NAME).read_bytes() == package.xlam(package.read_sources())
    assert (xlstart / "xlwings.xlam").read_bytes() == (machine.xlwings_dir / "addin" / "xlwings.xlam").read_bytes()
    assert config.read_text() == '"CONDA PATH","C:\\conda"\n"INTERPRETER_WIN","/opt/python/bin/python3"\n'
    assert "Install the xlwings add-in" in said and "INTERPRETER_WIN" in said and "Restart Excel" in said
    again = _addin_cli(["addin", "install"], machine, capsys)
    assert "matches the xlwings package: kept" in again and "already names" in again


def test_install_on_macos_copies_the_applescript_and_replaces_another_xlwings_version(tmp_path, capsys):
    machine = _machine(tmp_path, "darwin")
    startup = machine.home.joinpath(*install.MAC_STARTUP)
    startup.mkdir(parents=True)
    (startup / "xlwings.xlam").write_bytes(b"an older xlwings add-in")
    said = _addin_cli(["addin", "install"], machine, capsys)
    assert "not the one of the xlwings package" in said
    assert (startup / "xlwings.xlam").read_bytes() == (machine.xlwings_dir / "addin" / "xlwings.xlam").read_bytes()
    assert (startup / package.FILE_NAME).is_file()
    script = machine.home.joinpath(*install.MAC_SCRIPTS) / f"xlwings-{machine.xlwings_version}.applescript"
    assert script.is_file()
    config = machine.home.joinpath(*install.MAC_CONFIG)
    assert config.read_text() == '"INTERPRETER_MAC","/opt/python/bin/python3"\n'
    said = _addin_cli(["addin", "uninstall"], machine, capsys)
    assert not (startup / package.FILE_NAME).exists() and (startup / "xlwings.xlam").exists()
    assert "Remove" in said


def test_on_linux_install_explains_what_to_do_on_a_machine_with_excel(tmp_path, capsys):
    said = _addin_cli(["addin", "install"], _machine(tmp_path, "linux"), capsys)
    assert "Windows and macOS only" in said and "debtor-portal addin install" in said


def test_install_without_xlwings_says_how_to_get_it(tmp_path, capsys):
    machine = install.Machine("win32", tmp_path, tmp_path, Path("python.exe"), None)
    args = cli.parser().parse_args(["addin", "install"])
    from portal.front.addin import commands

    assert commands.run(args, machine) == 1
    assert "debtor-portal[excel]" in capsys.readouterr().err


def test_addin_build_command_writes_the_file(tmp_path, capsys):
    out = tmp_path / "x" / package.FILE_NAME
    assert cli.main(["addin", "build", "--out", str(out)]) == 0
    assert out.read_bytes() == package.xlam(package.read_sources()) and str(out) in capsys.readouterr().out
