"""`make bench`: time our build against Hugo on the same data and the same page count.

    python -m bench.run [--invoices N --customers M] [--results bench/RESULTS.md]

Runs, on one synthetic workbook (bench/generate.py): our cold build (no site, no cache), a
rebuild with nothing changed, a rebuild after one invoice's amount changed, and Hugo building a
site of as many pages from the same invoices and customers, its QR codes handed over as ready-made
SVGs. Each run is a separate process, started as an installed program starts (its modules compiled
once, not on every start); its peak memory is the highest total proportional set size
(PSS: resident memory, pages shared between forked workers counted once) of the process and its
children, sampled every 100 ms (reading a large process's memory map costs time of its own).
"Files written" counts the output files whose inode is new (a file carried over unchanged keeps
its inode).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import openpyxl

from bench import generate

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"


@dataclass(frozen=True)
class Run:
    name: str
    seconds: float
    peak_mb: float
    files_written: int
    files_total: int
    pages: int
    user_s: float  # processor time of the process and its children, in Python or Go
    kernel_s: float  # and in the kernel on their behalf (creating files, mostly)


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(child) for child in children]
    return pids


def _pss(pids: list[int]) -> int:
    """Proportional set size in bytes: pages shared by forked workers are counted once in all."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError, StopIteration):
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            total += int(next(line for line in lines if line.startswith("Pss:")).split()[1]) * 1024
    return total


def measured(command: list[str], **kwargs: object) -> tuple[float, float, float, float]:
    """(seconds, peak resident MB, user and kernel processor seconds) of one command's process tree;
    the command must succeed. Processor time moves less than wall time on a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)  # type: ignore[call-overload]
    peak = 0
    while process.poll() is None:
        peak = max(peak, _pss(_tree(process.pid)))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the process, and the workers it waited for
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()}")
    return seconds, peak / 2**20, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def _inodes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def as_installed() -> dict[str, str]:
    """The environment of a build run as an installed program runs: its modules compiled once, as
    pip compiles them when it installs, rather than on every start (PYTHONDONTWRITEBYTECODE)."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "portal")], env=env, check=True)
    return env


def _run(name: str, command: list[str], out: Path, env: dict[str, str] | None = None) -> Run:
    """One timed build into `out`; a file counts as written when its inode is new."""
    os.sync()  # the previous run's files reach the disk first: their write-back is not charged to this run
    before = _inodes(out) if out.exists() else {}
    seconds, peak, user, kernel = measured(command, env=env)
    after = _inodes(out)
    written = sum(1 for path, inode in after.items() if before.get(path) != inode)
    pages = sum(1 for path in after if path.endswith(".html"))
    return Run(name, seconds, peak, written, len(after), pages, user, kernel)


def our_build(name: str, workbook: Path, out: Path, secret: Path, env: dict[str, str]) -> Run:
    command = [sys.executable, "-m", "portal.front.cli", "build", str(workbook), "--out", str(out)]
    return _run(name, command + ["--secret-file", str(secret)], out, env)


def change_one_invoice(workbook: Path) -> str:
    """Add one euro to the first open invoice's amount; returns its number."""
    book = openpyxl.load_workbook(workbook)
    sheet = next(ws for ws in book.worksheets if "Invoices" in ws.tables or ws.title.lower().startswith("invoice"))
    headers = [str(c.value or "").strip().lower() for c in sheet[1]]
    number_col = next(i for i, h in enumerate(headers) if "number" in h) + 1
    amount_col = next(i for i, h in enumerate(headers) if h.startswith("amount")) + 1
    row = 2
    cell = sheet.cell(row, amount_col)
    cell.value = float(cell.value) + 1
    book.save(workbook)
    return str(sheet.cell(row, number_col).value)


def hugo_site(workbook: Path, site: Path, secret_file: Path, folder: Path) -> int:
    """A Hugo project with one content page per page of our site, from the same assessment."""
    from portal.app import load
    from portal.codes import payment
    from portal.render import site as portal_site
    from portal.render import tokens
    from portal.render.cache import QRStore
    from portal.workbook.file import FileWorkbook

    _, assessment = load.assessed(FileWorkbook(workbook), today=generate.AS_OF)
    creditor = assessment.ledger.creditor
    secret = tokens.load_secret(secret_file)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "layouts" / "_default").mkdir(parents=True)
    (folder / "content" / "p").mkdir(parents=True)
    (folder / "config.json").write_text(
        json.dumps(
            {
                "baseURL": "https://pay.example/",
                "uglyURLs": True,
                "disableKinds": ["taxonomy", "term", "RSS", "sitemap", "section", "404", "robotsTXT"],
            }
        )
    )
    (folder / "layouts" / "_default" / "single.html").write_text(HUGO_LAYOUT)
    (folder / "layouts" / "index.html").write_text("<!doctype html><title>{{ .Site.Title }}</title>")
    html_pages = [path for path in _inodes(site) if path.endswith(".html")]
    folders: dict[str, list[str]] = {}
    for path in html_pages:
        head, _, name = path.rpartition("/")
        folders.setdefault(head, []).append(name)
    svgs: dict[str, str] = {}
    store = QRStore(workbook.parent / ".debtor-portal" / "cache" / "qr")  # the codes our build drew
    count = 0

    def page(data: dict[str, object]) -> None:
        nonlocal count
        count += 1
        (folder / "content" / "p" / f"{count}.md").write_text(json.dumps(data) + "\n")

    iban = payment.validate_iban(creditor.iban)
    for state in assessment.invoices:
        link = portal_site.page_link(secret, creditor, "i", state.invoice.number)
        for name in folders.pop(link.path.rstrip("/"), []):
            payload = payment.epc_payload(
                creditor.name, iban, max(state.balance, payment.Decimal("0.01")), reference=state.reference
            )
            if payload not in svgs:
                drawn = store.get(payload)
                svgs[payload] = drawn.svg if drawn else payment.qr_svg_of(payload)
            page(
                {
                    "title": f"Invoice {state.invoice.number}",
                    "lang": name,
                    "customer": state.customer.name if state.customer else "",
                    "amount": str(state.invoice.amount),
                    "balance": str(state.balance),
                    "due": state.invoice.due_date.isoformat(),
                    "reference": payment.format_reference(state.reference),
                    "iban": payment.format_iban(iban),
                    "stage": str(state.stage),
                    "qr": svgs[payload],
                }
            )
    for customer_state in assessment.customers:
        link = portal_site.page_link(secret, creditor, "c", customer_state.customer.id)
        for name in folders.pop(link.path.rstrip("/"), []):
            page(
                {
                    "title": f"Statement {customer_state.customer.name}",
                    "lang": name,
                    "customer": customer_state.customer.name,
                    "balance": str(customer_state.total),
                    "items": [
                        {"number": i.invoice.number, "balance": str(i.balance), "due": i.invoice.due_date.isoformat()}
                        for i in customer_state.invoices
                    ],
                }
            )
    for names in folders.values():
        for name in names:
            page({"title": "Landing", "lang": name})
    return count + 1  # and the home page


HUGO_LAYOUT = """<!doctype html>
<html lang="{{ .Params.lang }}"><head><meta charset="utf-8"><title>{{ .Title }}</title>
<meta name="robots" content="noindex"><link rel="stylesheet" href="/assets/portal.css"></head>
<body><main><h1>{{ .Title }}</h1><p>{{ .Params.customer }}</p>
<dl><dt>Amount</dt><dd>{{ .Params.amount }}</dd><dt>Balance</dt><dd>{{ .Params.balance }}</dd>
<dt>Due</dt><dd>{{ .Params.due }}</dd><dt>Reference</dt><dd>{{ .Params.reference }}</dd>
<dt>IBAN</dt><dd>{{ .Params.iban }}</dd><dt>Stage</dt><dd>{{ .Params.stage }}</dd></dl>
{{ with .Params.qr }}<figure>{{ . | safeHTML }}</figure>{{ end }}
{{ with .Params.items }}<table>{{ range . }}<tr><td>{{ .number }}</td><td>{{ .due }}</td>
<td>{{ .balance }}</td></tr>{{ end }}</table>{{ end }}
</main></body></html>
"""


def ensure_hugo() -> str:
    found = shutil.which("hugo")
    if found:
        return found
    print("Installing Debian's hugo…", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "hugo"], check=True, env=env)
    return shutil.which("hugo") or "hugo"


def hugo_build(hugo: str, project: Path) -> Run:
    public = project / "public"
    shutil.rmtree(public, ignore_errors=True)
    command = [hugo, "--quiet", "--source", str(project), "--destination", str(public)]
    return _run("Hugo, same page count", command, public)


def table(runs: list[Run], hugo: Run, invoices: int, customers: int, changed: str) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Synthetic workbook: {invoices:,} invoices, {customers:,} customers (bench/generate.py). "
        f"Machine: {machine}. Date: {when}. Changed invoice: {changed}. Load average at the end "
        f"(1/5/15 min; other work on the machine slows every run): {load}.",
        "",
        "| run | time (s) | ratio to Hugo | processor, user / kernel (s) | peak memory (MB) | files written "
        "| files | pages |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in [*runs, hugo]:
        lines.append(
            f"| {run.name} | {run.seconds:.2f} | {run.seconds / hugo.seconds:.2f} | "
            f"{run.user_s:.1f} / {run.kernel_s:.1f} | {run.peak_mb:.0f} | "
            f"{run.files_written:,} | {run.files_total:,} | {run.pages:,} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=generate.REFERENCE[0])
    parser.add_argument("--customers", type=int, default=generate.REFERENCE[1])
    parser.add_argument("--results", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args(argv)
    hugo = ensure_hugo()
    work = WORK / f"{args.invoices}x{args.customers}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    workbook = generate.write(work / "book.xlsx", args.invoices, args.customers)
    out, secret = work / "site_out", work / "secret"
    print(f"{workbook}: {args.invoices} invoices, {args.customers} customers", flush=True)
    env = as_installed()
    runs = [our_build("cold build", workbook, out, secret, env)]
    print(runs[-1], flush=True)
    runs.append(our_build("rebuild, nothing changed", workbook, out, secret, env))
    print(runs[-1], flush=True)
    reference = work / "unchanged.xlsx"
    shutil.copy(workbook, reference)
    changed = change_one_invoice(workbook)
    runs.append(our_build("rebuild, one invoice changed", workbook, out, secret, env))
    print(runs[-1], flush=True)
    project = work / "hugo"
    hugo_site(workbook, out, secret, project)
    hugo_run = hugo_build(hugo, project)
    print(hugo_run, flush=True)
    text = table(runs, hugo_run, args.invoices, args.customers, changed)
    print("\n" + text)
    if args.results:
        args.results.write_text("# `make bench` results\n\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
