"""Publishing against real targets: a folder, an rclone WebDAV server on loopback, a bare git repository."""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from portal.publish.targets import UPLOAD_STEP, Plan, PublishError, Target, parse_target, plan, publish

REPO = Path(__file__).resolve().parents[1]


# --- helpers and fixtures


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def stamps(root: Path) -> dict[str, tuple[int, int]]:
    return {rel: ((root / rel).stat().st_ino, (root / rel).stat().st_mtime_ns) for rel in tree(root)}


def page(title: str, *links: str) -> str:
    refs = "".join(f'<a href="{link}">{link}</a>' for link in links)
    return (
        f'<!doctype html><html><head><link rel="stylesheet" href="{"../../" if "/" in title else ""}'
        f'assets/portal.abc.css"></head><body><h1>{title}</h1>{refs}</body></html>'
    )


SITE = {
    "index.html": page("home", "c/TOKENC/"),
    "robots.txt": "User-agent: *\nDisallow: /\n",
    "_headers": "/*\n  X-Robots-Tag: noindex\n",
    "assets/portal.abc.css": "body{font-family:sans-serif}",
    "i/TOKEN1/index.html": page("i/TOKEN1", "due.ics", "invoice.pdf"),
    "i/TOKEN1/due.ics": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
    "i/TOKEN1/invoice.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 8,
    "c/TOKENC/index.html": page("c/TOKENC", "../../i/TOKEN1/"),
}
PAGE = "i/TOKEN1/index.html"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write(tmp_path / "site", SITE)
    return tmp_path / "site"


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture(autouse=True)
def no_machine_git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git sees no global or system configuration, as on a fresh machine (no identity either)."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def edit_same_size(site: Path, rel: str) -> None:
    """Change a file without changing its size, the case size-based sync tools miss."""
    text = (site / rel).read_text()
    (site / rel).write_text(text.replace("TOKEN1", "TOKEN9", 1))
    assert len((site / rel).read_text()) == len(text) and (site / rel).read_text() != text


# --- parsing


def test_parse_target_forms(tmp_path: Path) -> None:
    assert parse_target("www", base_dir=tmp_path) == Target("folder", str(tmp_path / "www"))
    assert parse_target(f"file:{tmp_path}/a b", base_dir=Path("/elsewhere")) == Target("folder", f"{tmp_path}/a b")
    assert parse_target(" rclone:dav:site ", base_dir=tmp_path) == Target("rclone", "dav:site")
    assert parse_target("rclone:s3:bucket/pay/", base_dir=tmp_path) == Target("rclone", "s3:bucket/pay/")
    assert parse_target("git:pages.git", base_dir=tmp_path) == Target("git", str(tmp_path / "pages.git"), "gh-pages")
    assert parse_target("git:git@github.com:me/pay.git#main", base_dir=tmp_path) == Target(
        "git", "git@github.com:me/pay.git", "main"
    )
    assert parse_target("git:https://example.org/pay.git", base_dir=tmp_path).location == "https://example.org/pay.git"


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "  ",
        "rclone:",
        "rclone:onlyremote",
        "rclone::path",
        "git:",
        "git:#main",
        "s3:bucket/site",
        "https://pay.example.be/",
        "file:",
    ],
)
def test_bad_target_specs_say_what_is_accepted(spec: str, tmp_path: Path) -> None:
    with pytest.raises(PublishError) as caught:
        parse_target(spec, base_dir=tmp_path)
    assert "rclone:REMOTE:PATH" in str(caught.value) and "git:URL#BRANCH" in str(caught.value)


# --- folder target


def test_folder_publish_mirrors_then_applies_only_the_differences(site: Path, state_dir: Path, tmp_path: Path) -> None:
    target = parse_target("www", base_dir=tmp_path)
    www = tmp_path / "www"

    first = publish(site, target, state_dir=state_dir)
    assert first == Plan(added=tuple(sorted(SITE)))
    assert tree(www) == tree(site)
    assert plan(site, target, state_dir=state_dir) == Plan()
    assert list(state_dir.glob("publish-*.json")) and not list(site.rglob("*.json"))

    edit_same_size(site, PAGE)
    assert plan(site, target, state_dir=state_dir) == Plan(changed=(PAGE,))
    before = stamps(www)
    assert publish(site, target, state_dir=state_dir) == Plan(changed=(PAGE,))
    after = stamps(www)
    assert [rel for rel in after if after[rel] != before[rel]] == [PAGE]
    assert tree(www) == tree(site)

    shutil.rmtree(site / "c")
    assert publish(site, target, state_dir=state_dir) == Plan(removed=("c/TOKENC/index.html",))
    assert tree(www) == tree(site) and not (www / "c").exists()

    (www / "robots.txt").unlink()
    (www / "i" / "TOKEN1" / "due.ics").write_text("tampered")
    assert publish(site, target, state_dir=state_dir) == Plan(added=("robots.txt",), changed=("i/TOKEN1/due.ics",))
    assert tree(www) == tree(site)


def test_dry_run_reports_and_changes_nothing(site: Path, state_dir: Path, tmp_path: Path) -> None:
    target = parse_target("www", base_dir=tmp_path)
    assert publish(site, target, state_dir=state_dir, dry_run=True) == Plan(added=tuple(sorted(SITE)))
    assert not (tmp_path / "www").exists() and not state_dir.exists()

    publish(site, target, state_dir=state_dir)
    edit_same_size(site, PAGE)
    (site / "robots.txt").unlink()
    write(site, {"i/TOKEN2/index.html": page("i/TOKEN2")})
    target_before, state_before = tree(tmp_path / "www"), tree(state_dir)
    assert publish(site, target, state_dir=state_dir, dry_run=True) == Plan(
        added=("i/TOKEN2/index.html",), changed=(PAGE,), removed=("robots.txt",)
    )
    assert tree(tmp_path / "www") == target_before and tree(state_dir) == state_before


@pytest.mark.parametrize("languages", [False, True], ids=["one page", "pages in two languages linking each other"])
def test_upload_order_assets_then_linked_pages_then_removals(
    site: Path, state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, languages: bool
) -> None:
    target = parse_target("www", base_dir=tmp_path)
    publish(site, target, state_dir=state_dir)
    # A new stylesheet for every page, and a new invoice page that the customer page now links to.
    (site / "assets" / "portal.abc.css").rename(site / "assets" / "portal.def.css")
    for rel in [rel for rel in tree(site) if rel.endswith(".html")]:
        (site / rel).write_text((site / rel).read_text().replace("portal.abc.css", "portal.def.css"))
    write(
        site,
        {
            "i/TOKEN2/index.html": page("i/TOKEN2", "due.ics", *(["en.html"] if languages else [])).replace(
                "abc", "def"
            ),
            **({"i/TOKEN2/en.html": page("i/TOKEN2", "index.html").replace("abc", "def")} if languages else {}),
            "i/TOKEN2/due.ics": "x",
            "c/TOKENC/index.html": page("c/TOKENC", "../../i/TOKEN1/", "../../i/TOKEN2/").replace("abc", "def"),
        },
    )

    events: list[tuple[str, str]] = []
    real_replace, real_unlink = os.replace, os.unlink
    www = (tmp_path / "www").resolve()

    def replace(src, dst, *args, **kwargs):
        if Path(dst).is_relative_to(www):
            events.append(("put", Path(dst).relative_to(www).as_posix()))
        return real_replace(src, dst, *args, **kwargs)

    def unlink(path, *args, **kwargs):
        if Path(path).is_relative_to(www):
            events.append(("remove", Path(path).relative_to(www).as_posix()))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "unlink", unlink)
    publish(site, target, state_dir=state_dir)
    monkeypatch.undo()

    puts = [rel for kind, rel in events if kind == "put"]
    assert events[-1] == ("remove", "assets/portal.abc.css") and events[:-1] == [("put", rel) for rel in puts]
    first_page = min(i for i, rel in enumerate(puts) if rel.endswith(".html"))
    assert all(not rel.endswith(".html") for rel in puts[:first_page])
    assert all(rel.endswith(".html") for rel in puts[first_page:])
    new_pages = ["i/TOKEN2/index.html", "i/TOKEN2/en.html"] if languages else ["i/TOKEN2/index.html"]
    assert all(puts.index(new) < puts.index("c/TOKENC/index.html") for new in new_pages)  # never a dead link
    assert tree(www) == tree(site)


def test_first_publish_refuses_to_delete_files_it_never_published(site: Path, state_dir: Path, tmp_path: Path) -> None:
    write(tmp_path / "www", {"notes.txt": "mine", "robots.txt": "old"})
    target = parse_target("www", base_dir=tmp_path)
    with pytest.raises(PublishError, match="notes.txt"):
        publish(site, target, state_dir=state_dir)
    assert (tmp_path / "www" / "notes.txt").read_text() == "mine"


def test_a_target_folder_is_made_only_inside_a_folder_that_is_there(
    site: Path, state_dir: Path, tmp_path: Path
) -> None:
    """An unconnected share (its folder missing) or a path under a file: refused, nothing made on this disk."""
    (tmp_path / "afile").write_text("x")
    for spec in ("afile/www", "unmounted/share/www"):
        with pytest.raises(PublishError, match="is not a folder here"):
            publish(site, parse_target(spec, base_dir=tmp_path), state_dir=state_dir)
    assert not (tmp_path / "unmounted").exists()
    publish(site, parse_target("www", base_dir=tmp_path), state_dir=state_dir)  # a new folder in one that is there
    assert tree(tmp_path / "www") == tree(site)


def test_a_target_that_cannot_be_written_is_said_in_a_line(site: Path, state_dir: Path, tmp_path: Path) -> None:
    target = parse_target("www", base_dir=tmp_path)
    publish(site, target, state_dir=state_dir)
    shutil.rmtree(tmp_path / "www" / "i")
    (tmp_path / "www" / "i").write_text("a file where a folder goes")
    with pytest.raises(PublishError, match=r"(?s)Writing .*www/i.* failed: .*publish again"):
        publish(site, target, state_dir=state_dir)


def test_overlapping_folders_are_refused(site: Path, state_dir: Path, tmp_path: Path) -> None:
    for spec, state in [
        ("site/out", state_dir),
        (".", state_dir),
        ("site", state_dir),
        ("www", site / "state"),
        ("www", tmp_path / "www" / "state"),
    ]:
        with pytest.raises(PublishError, match="inside one another"):
            publish(site, parse_target(spec, base_dir=tmp_path), state_dir=state)


# --- interrupted publishing, the same checks for every kind of target: a publish killed mid-way (with
# the rclone or git it runs, as Ctrl-C, a closed terminal or a crash would) leaves only whole pages whose
# links all work, and publishing again gives an exact mirror.

TEMPORARY = re.compile(r"(^|/)\.publish-[^/]*\.tmp(/|$)")  # a publish's temporary uploads, no visitor's pages


def big_site(root: Path, count: int) -> Path:
    """count invoice pages, each with its .ics and .pdf, and a customer page linking them all."""
    files: dict[str, str | bytes] = {"assets/portal.abc.css": "body{}", "index.html": page("home", "c/TOKENC/")}
    for n in range(count):
        files[f"i/T{n:04d}/index.html"] = page(f"i/T{n:04d}", "due.ics", "invoice.pdf") + "<p>x</p>" * 50
        files[f"i/T{n:04d}/due.ics"] = f"BEGIN:VCALENDAR\r\nUID:{n}\r\nEND:VCALENDAR\r\n"
        files[f"i/T{n:04d}/invoice.pdf"] = b"%PDF-1.4\n" + str(n).encode() * 500
    files["c/TOKENC/index.html"] = page("c/TOKENC", *(f"../../i/T{n:04d}/" for n in range(count)))
    write(root, files)
    return root


def test_progress_counts_the_files_uploaded_then_removed(tmp_path: Path, state_dir: Path) -> None:
    site = big_site(tmp_path / "site", UPLOAD_STEP // 2)  # three files an invoice: more than one step of pages
    target = parse_target(str(tmp_path / "www"), base_dir=tmp_path)
    calls: list[tuple[int, int, str]] = []
    done = publish(site, target, state_dir=state_dir, progress=lambda *call: calls.append(call))
    files = len(done.added)
    assert files > UPLOAD_STEP and calls[-1] == (files, files, "Finishing")
    uploads = [call for call in calls if call[2] == "Uploading"]
    assert len(uploads) >= 3 and uploads[0][0] == 0
    assert [call[0] for call in calls] == sorted(call[0] for call in calls) and {call[1] for call in calls} == {files}
    shutil.rmtree(site / "i" / "T0000")
    calls.clear()
    publish(site, target, state_dir=state_dir, progress=lambda *call: calls.append(call))
    assert calls == [(0, 3, "Removing"), (3, 3, "Finishing")]


@pytest.fixture
def publish_in_child():
    """Start a publish in a child process with a process group of its own; the group is killed at the end."""
    children: list[subprocess.Popen] = []
    code = (
        "import sys; from pathlib import Path; from portal.publish.targets import parse_target, publish; "
        "publish(Path(sys.argv[1]), parse_target(sys.argv[2], base_dir=Path.cwd()), state_dir=Path(sys.argv[3]))"
    )

    def start(site: Path, spec: str, state_dir: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
        children.append(
            subprocess.Popen(
                [sys.executable, "-c", code, str(site), spec, str(state_dir)], cwd=REPO, env=env, start_new_session=True
            )
        )
        return children[-1]

    yield start
    for child in children:
        kill_group(child)


def kill_group(child: subprocess.Popen) -> int:
    with contextlib.suppress(ProcessLookupError):  # the whole group may have ended already
        os.killpg(child.pid, signal.SIGKILL)
    return child.wait(timeout=10)


def interrupt(child: subprocess.Popen, ready) -> None:
    """Kill the publish and everything it started as soon as ready() says it is mid-way."""
    deadline = time.monotonic() + 60
    while not ready() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert kill_group(child) == -signal.SIGKILL, "publish finished (or failed) before it could be interrupted"


def assert_whole_pages(root: Path, site: Path) -> int:
    """Every page on root is the site's own, byte for byte, and every file it links to is there; returns how
    many pages there are. A publish's temporary uploads are no pages."""
    pages = [rel for rel in tree(root) if rel.endswith(".html") and not TEMPORARY.search(rel)]
    for rel in pages:
        assert (root / rel).read_bytes() == (site / rel).read_bytes(), f"{rel} is incomplete"
        for ref in re.findall(r'(?:href|src)="([^"]+)"', (root / rel).read_text()):
            linked = posixpath.normpath(posixpath.join(posixpath.dirname(rel), ref))
            if ref.endswith("/"):
                linked += "/index.html"
            assert (root / linked).is_file(), f"{rel} links to missing {linked}"
    return len(pages)


def test_interrupted_publish_leaves_whole_pages_and_converges(
    tmp_path: Path, state_dir: Path, publish_in_child
) -> None:
    count = 400  # enough for the kill to land mid-way
    site, www = big_site(tmp_path / "big", count), tmp_path / "www"
    first_page = www / "i" / "T0000" / "index.html"
    interrupt(publish_in_child(site, str(www), state_dir), first_page.exists)

    assert 0 < assert_whole_pages(www, site) < count + 2, "the kill should land while pages are being written"
    publish(site, parse_target(str(www), base_dir=tmp_path), state_dir=state_dir)
    assert tree(www) == tree(site)


# --- rclone target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def webdav(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real WebDAV server on loopback and an rclone configuration whose remote 'dav' points at it."""
    served, port = tmp_path / "served", free_port()
    served.mkdir()
    config = tmp_path / "rclone.conf"
    config.write_text(f"[dav]\ntype = webdav\nurl = http://127.0.0.1:{port}\nvendor = other\n")
    monkeypatch.setenv("RCLONE_CONFIG", str(config))
    # --dir-cache-time 0: the tests also change the served folder behind the server's back.
    server = subprocess.Popen(
        ["rclone", "serve", "webdav", str(served), "--addr", f"127.0.0.1:{port}", "--dir-cache-time", "0s"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None and time.monotonic() < deadline, "rclone serve webdav did not start"
                time.sleep(0.05)
        yield served
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


HOSTS_FILES = {"CNAME": "pay.example.be\n", ".well-known/security.txt": "Contact: it@example.be\n", ".htaccess": "x"}


@pytest.mark.parametrize("kind", ["folder", "rclone", "git"])
def test_the_hosts_own_files_are_left_alone(
    site: Path, state_dir: Path, tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    """A custom domain's CNAME (GitHub Pages), .well-known/ and .htaccess belong to the host: kept, never listed."""
    if kind == "git":
        bare, seed = tmp_path / "pages.git", tmp_path / "seed"
        git("init", "-q", "--bare", str(bare))
        write(seed, HOSTS_FILES)
        git("-C", str(seed), "init", "-q", "-b", "pages")
        git("-C", str(seed), "add", "-A")
        git("-C", str(seed), "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-m", "the host's")
        git("-C", str(seed), "push", "-q", str(bare), "pages")
        target, where = parse_target("git:pages.git#pages", base_dir=tmp_path), None
    else:
        where = request.getfixturevalue("webdav") / "site" if kind == "rclone" else tmp_path / "www"
        write(where, HOSTS_FILES)
        target = parse_target("rclone:dav:site" if kind == "rclone" else "www", base_dir=tmp_path)
    for step in ("first", "next"):
        if step == "next":
            edit_same_size(site, PAGE)
        done = publish(site, target, state_dir=state_dir)
        assert not set(done.removed) & set(HOSTS_FILES), done
        if kind == "git":
            shutil.rmtree(tmp_path / "clone", ignore_errors=True)
            git("clone", "-q", "-b", "pages", str(tmp_path / "pages.git"), str(tmp_path / "clone"))
            where = tmp_path / "clone"
        assert where is not None and {path: (where / path).read_text() for path in HOSTS_FILES} == HOSTS_FILES


def test_rclone_webdav_target(site: Path, state_dir: Path, webdav: Path, tmp_path: Path) -> None:
    target = parse_target("rclone:dav:site", base_dir=tmp_path)
    served = webdav / "site"

    assert publish(site, target, state_dir=state_dir) == Plan(added=tuple(sorted(SITE)))
    assert tree(served) == tree(site)

    edit_same_size(site, PAGE)
    assert plan(site, target, state_dir=state_dir) == Plan(changed=(PAGE,))
    before = stamps(served)
    assert publish(site, target, state_dir=state_dir) == Plan(changed=(PAGE,))
    after = stamps(served)
    assert [rel for rel in after if after[rel] != before[rel]] == [PAGE]
    assert tree(served) == tree(site)

    (site / "c" / "TOKENC" / "index.html").unlink()
    (served / "robots.txt").unlink()
    assert publish(site, target, state_dir=state_dir) == Plan(added=("robots.txt",), removed=("c/TOKENC/index.html",))
    assert tree(served) == tree(site) and not (served / "c" / "TOKENC").exists()
    assert plan(site, target, state_dir=state_dir) == Plan()


def test_rclone_backend_hashes_catch_edits_made_on_the_remote(
    site: Path, state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rclone.conf").write_text("[disk]\ntype = local\n")
    monkeypatch.setenv("RCLONE_CONFIG", str(tmp_path / "rclone.conf"))
    target = parse_target(f"rclone:disk:{tmp_path}/out", base_dir=tmp_path)
    publish(site, target, state_dir=state_dir)
    edit_same_size(tmp_path / "out", PAGE)  # the state file still says it is fine; the hashes say not
    assert plan(site, target, state_dir=state_dir) == Plan(changed=(PAGE,))
    publish(site, target, state_dir=state_dir)
    assert tree(tmp_path / "out") == tree(site)


def test_unknown_rclone_remote(site: Path, state_dir: Path, webdav: Path, tmp_path: Path) -> None:
    with pytest.raises(PublishError, match=r"no remote named 'nope'(.|\n)*dav:(.|\n)*rclone config"):
        publish(site, parse_target("rclone:nope:site", base_dir=tmp_path), state_dir=state_dir)


def test_missing_rclone_program(site: Path, state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(PublishError, match="rclone program was not found(.|\n)*rclone.org"):
        publish(site, parse_target("rclone:dav:site", base_dir=tmp_path), state_dir=state_dir)


def test_interrupted_webdav_publish_leaves_whole_pages_and_converges(
    tmp_path: Path, state_dir: Path, webdav: Path, publish_in_child
) -> None:
    count = 5  # few, WebDAV being slow: the pages, then the customer page, then the home page take over a second
    site, served = big_site(tmp_path / "big", count), webdav / "site"
    pages = [rel for rel in tree(site) if rel.endswith(".html")]
    interrupt(
        publish_in_child(site, "rclone:dav:site", state_dir), lambda: any((served / rel).exists() for rel in pages)
    )

    assert 0 < assert_whole_pages(served, site) < count + 2, "the kill should land while pages are being uploaded"
    publish(site, parse_target("rclone:dav:site", base_dir=tmp_path), state_dir=state_dir)
    assert tree(served) == tree(site) and not list(served.glob(".publish-*"))


def test_webdav_never_shows_a_half_uploaded_file(
    site: Path, state_dir: Path, webdav: Path, tmp_path: Path, publish_in_child
) -> None:
    """rclone serve webdav (like some other WebDAV and FTP servers) writes an upload straight into the file: the
    page would be cut short, or gone, while it is uploaded, and stay so if the upload is cut off."""
    target, served = parse_target("rclone:dav:site", base_dir=tmp_path), webdav / "site"
    publish(site, target, state_dir=state_dir)
    shutil.copytree(site, tmp_path / "old")
    old = (site / PAGE).read_bytes()
    (site / PAGE).write_bytes(old.replace(b"</body>", b"<p>new</p>" * 60_000 + b"</body>"))  # 600 kB
    new = (site / PAGE).read_bytes()

    def uploading() -> bool:  # some copy of the page, under its own name or a temporary one, is neither old nor new
        copies = [served / PAGE, *served.glob(f".publish-*.tmp/{PAGE}")]
        return any(path.is_file() and path.read_bytes() not in (old, new) for path in copies)

    env = {**os.environ, "RCLONE_BWLIMIT": "200K"}  # three seconds for the page: the kill lands mid-upload
    interrupt(publish_in_child(site, "rclone:dav:site", state_dir, env), uploading)
    assert (served / PAGE).read_bytes() == old, "the page being replaced was damaged by the cut-off upload"
    assert assert_whole_pages(served, tmp_path / "old") == 3

    publish(site, target, state_dir=state_dir)
    assert tree(served) == tree(site) and not list(served.glob(".publish-*"))
    assert plan(site, target, state_dir=state_dir) == Plan()


# --- git target


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout.strip()


def test_git_branch_target(site: Path, state_dir: Path, tmp_path: Path) -> None:
    bare = tmp_path / "pages.git"
    git("init", "-q", "--bare", str(bare))
    target = parse_target("git:pages.git#pages", base_dir=tmp_path)

    assert publish(site, target, state_dir=state_dir, message="Publish 2026-03-01: 8 files") == Plan(
        added=tuple(sorted(SITE))
    )
    git("clone", "-q", "-b", "pages", str(bare), str(tmp_path / "clone"))
    assert tree(tmp_path / "clone") == tree(site)
    assert git("-C", str(bare), "log", "--format=%s", "pages") == "Publish 2026-03-01: 8 files"

    edit_same_size(site, PAGE)
    first = git("-C", str(bare), "rev-parse", "pages")
    assert publish(site, target, state_dir=state_dir, message="second") == Plan(changed=(PAGE,))
    assert git("-C", str(bare), "rev-list", "--count", "pages") == "1"  # the branch replaced, no history kept
    assert git("-C", str(bare), "diff", "--name-only", first, "pages") == PAGE
    git("-C", str(tmp_path / "clone"), "fetch", "-q")
    git("-C", str(tmp_path / "clone"), "reset", "-q", "--hard", "origin/pages")
    assert tree(tmp_path / "clone") == tree(site)

    second = git("-C", str(bare), "rev-parse", "pages")
    assert publish(site, target, state_dir=state_dir, message="nothing") == Plan()
    assert publish(site, target, state_dir=tmp_path / "fresh-state", message="nothing") == Plan()
    assert git("-C", str(bare), "rev-parse", "pages") == second

    (site / "c" / "TOKENC" / "index.html").unlink()
    assert publish(site, target, state_dir=state_dir, message="third") == Plan(removed=("c/TOKENC/index.html",))
    assert git("-C", str(bare), "log", "--format=%s", "pages") == "third"
    assert git("-C", str(bare), "log", "--all", "--format=%s", "--", "c/TOKENC/index.html") == ""  # in no history


def test_git_push_rejected(site: Path, state_dir: Path, tmp_path: Path) -> None:
    bare = tmp_path / "pages.git"
    git("init", "-q", "--bare", str(bare))
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pages are frozen by policy' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(PublishError, match="(?s)Pushing to .*pages are frozen by policy.*publish again"):
        publish(site, parse_target(f"git:{bare}#pages", base_dir=tmp_path), state_dir=state_dir)
    assert git("-C", str(bare), "for-each-ref") == ""


@pytest.mark.parametrize("phase", ["add", "push"])
def test_interrupted_git_publish_keeps_the_branch_whole_and_converges(
    phase: str, site: Path, state_dir: Path, tmp_path: Path, publish_in_child
) -> None:
    """Killed while `git add` holds the index lock, or while the remote receives the push: the branch stays the
    old, whole site, and the next publish gets past what the killed one left in its cached work tree."""
    bare, stalled = tmp_path / "pages.git", tmp_path / "stalled"
    git("init", "-q", "--bare", str(bare))
    target = parse_target("git:pages.git#pages", base_dir=tmp_path)
    publish(site, target, state_dir=state_dir)
    old = git("-C", str(bare), "rev-parse", "pages")

    # Hold the publish in the chosen phase until it is killed: a clean filter stalls `git add`, a pre-receive
    # hook stalls the push once the remote has the objects and before it moves the branch.
    stall = tmp_path / "stall.sh"
    stall.write_text(f"#!/bin/sh\ntouch '{stalled}'\nexec sleep 60\n")
    stall.chmod(0o755)
    env = dict(os.environ)
    if phase == "add":
        (tmp_path / "stall.attributes").write_text("* filter=stall\n")
        (tmp_path / "stall.gitconfig").write_text(
            f'[core]\n\tattributesFile = {tmp_path / "stall.attributes"}\n[filter "stall"]\n\tclean = {stall}\n'
        )
        env["GIT_CONFIG_GLOBAL"] = str(tmp_path / "stall.gitconfig")
    else:
        shutil.copy(stall, bare / "hooks" / "pre-receive")
    big = big_site(tmp_path / "big", 60)
    interrupt(publish_in_child(big, f"git:{bare}#pages", state_dir, env), stalled.exists)
    (bare / "hooks" / "pre-receive").unlink(missing_ok=True)

    work = next(state_dir.glob("git-*"))
    if phase == "add":
        assert (work / ".git" / "index.lock").exists(), "the killed `git add` should have left its lock"
    assert git("-C", str(bare), "rev-parse", "pages") == old
    git("clone", "-q", "-b", "pages", str(bare), str(tmp_path / "clone"))
    assert tree(tmp_path / "clone") == tree(site) and assert_whole_pages(tmp_path / "clone", site) == 3

    publish(big, target, state_dir=state_dir)
    git("-C", str(tmp_path / "clone"), "fetch", "-q")
    git("-C", str(tmp_path / "clone"), "reset", "-q", "--hard", "origin/pages")
    assert tree(tmp_path / "clone") == tree(big)
    assert (
        git("-C", str(bare), "rev-parse", "pages") != old
        and git("-C", str(bare), "rev-list", "--count", "pages") == "1"
    )


def test_a_first_publish_cut_off_then_a_changed_site_still_completes(
    site: Path, state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a cut-off first publish uploaded is its own: the next publish removes what the site no longer has."""
    from portal.publish import targets

    real = targets._Folder.upload

    def cut_off(self, site_dir, paths):
        real(self, site_dir, paths)
        raise KeyboardInterrupt

    target = parse_target("www", base_dir=tmp_path)
    monkeypatch.setattr(targets._Folder, "upload", cut_off)
    with pytest.raises(KeyboardInterrupt):
        publish(site, target, state_dir=state_dir)
    monkeypatch.undo()
    uploaded = set(tree(tmp_path / "www"))
    assert uploaded and uploaded != set(tree(site))
    gone = sorted(uploaded)[0]
    (site / gone).unlink()  # the site changed before the next publish: the file it uploaded is no longer in it
    publish(site, target, state_dir=state_dir)
    assert tree(tmp_path / "www") == tree(site)
