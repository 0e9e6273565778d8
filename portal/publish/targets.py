"""Publishing the built site to a folder, an rclone remote or a git branch.

A publish compares the site folder with what the target holds and then uploads new and changed
files, everything else before the HTML pages, and removes stale files last. A visitor therefore
meets old pages or new pages, never a page whose stylesheet, PDF or calendar file is missing.
What was last uploaded is remembered in a state file outside the site folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from urllib.parse import unquote

from ..domain.problems import UserError
from ..domain.progress import Progress

UPLOAD_STEP = 1000  # files uploaded at a time: the progress moves after each step


class PublishError(UserError):
    """Publishing failed; the message says what happened and how to fix it."""


@dataclass(frozen=True)
class Target:
    kind: str  # "folder", "rclone" or "git"
    location: str  # absolute folder path, rclone REMOTE:PATH, or git URL (local paths made absolute)
    branch: str = ""  # git only

    def __str__(self) -> str:
        if self.kind == "rclone":
            return f"rclone:{self.location}"
        if self.kind == "git":
            return f"git:{self.location}#{self.branch}"
        return self.location


@dataclass(frozen=True)
class Plan:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


_FORMS = (
    "a folder (a path, absolute or relative to the workbook's folder, or file:PATH), "
    "rclone:REMOTE:PATH (REMOTE as set up with `rclone config`), "
    "or git:URL#BRANCH (BRANCH defaults to gh-pages)"
)


def parse_target(spec: str, *, base_dir: Path) -> Target:
    """Read a target as written in the settings; relative local paths are taken from base_dir."""
    text = spec.strip()
    scheme, colon, rest = text.partition(":")

    def bad(reason: str) -> PublishError:
        return PublishError(f"Publish target {spec!r} is not usable: {reason}. Accepted forms: {_FORMS}.")

    if not text:
        raise bad("it is empty")
    if scheme.lower() == "rclone":
        remote, colon, _ = rest.partition(":")
        if not remote or not colon:
            raise bad("an rclone target needs a remote and a path, e.g. rclone:mysite:public")
        return Target("rclone", rest)
    if scheme.lower() == "git":
        url, sep, branch = rest.rpartition("#")
        if not sep:
            url, branch = rest, ""
        if not url:
            raise bad("a git target needs a repository URL, e.g. git:git@github.com:me/pay.git#gh-pages")
        if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*://|[^/\\]{2,}:", url):  # neither URL nor host:path
            url = str(_local_path(url, base_dir))
        return Target("git", url, branch or "gh-pages")
    if scheme.lower() == "file":
        text = rest
    elif colon and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]+", scheme):  # one letter is a Windows drive
        raise bad(f"'{scheme}:' is not a kind of target this program knows")
    if not text:
        raise bad("the folder is missing after file:")
    return Target("folder", str(_local_path(text, base_dir)))


def plan(site_dir: Path, target: Target, *, state_dir: Path) -> Plan:
    """What publishing would do, changing nothing (a git target's cached work tree is refreshed)."""
    return publish(site_dir, target, state_dir=state_dir, dry_run=True)


def publish(
    site_dir: Path,
    target: Target,
    *,
    state_dir: Path,
    message: str = "",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Plan:
    """Make the target an exact copy of site_dir and return what was done; message is the git commit's.
    `progress(done, total, label)` counts the files uploaded and removed."""
    site_dir, state_dir = Path(site_dir).resolve(), Path(state_dir).resolve()
    backend = _backend(site_dir, target, state_dir)
    state_file = state_dir / f"publish-{hashlib.sha256(str(target).encode()).hexdigest()[:16]}.json"
    state = _load_state(state_file)
    local = site_files(site_dir)
    held = backend.held(state)
    todo = Plan(
        added=tuple(sorted(local.keys() - held.keys())),
        changed=tuple(sorted(p for p in local.keys() & held.keys() if not _same(site_dir / p, local[p], held[p]))),
        removed=tuple(sorted(held.keys() - local.keys())),
    )
    if dry_run:
        return todo
    foreign = [p for p in todo.removed if not _TEMP.search(p)]
    if state is None and foreign:
        raise PublishError(
            f"{target} already holds {len(foreign)} file(s) this computer never published there "
            f"(e.g. {', '.join(foreign[:3])}), and publishing would delete them. If they may go, delete them "
            "from the target yourself (or choose an empty target) and publish again."
        )
    if state is None:  # the target held nothing foreign: what a cut-off first publish leaves there is ours
        _write_atomic(state_file, json.dumps({"target": str(target), "files": {}}).encode())
    report = progress or (lambda done, total, label: None)
    done, total = 0, len(todo.added) + len(todo.changed) + len(todo.removed)
    for batch in _batches(site_dir, todo):
        for start in range(0, len(batch), UPLOAD_STEP):
            report(done, total, "Uploading")
            step = batch[start : start + UPLOAD_STEP]
            backend.upload(site_dir, step)
            done += len(step)
    _write_atomic(state_file, json.dumps({"target": str(target), "files": local}, indent=1, sort_keys=True).encode())
    if todo.removed:
        report(done, total, "Removing")
        backend.remove(todo.removed)
    report(total, total, "Finishing")
    backend.finish(
        message or f"Publish: {len(todo.added)} added, {len(todo.changed)} changed, {len(todo.removed)} removed"
    )
    return todo


# --- targets: each lists what it holds (path -> (hash algorithm, hex digest), or None when it can't
# tell the content), uploads, removes, and finishes.


class _Folder:
    def __init__(self, root: Path):
        self.root = root

    def held(self, state: dict[str, str] | None) -> dict[str, tuple[str, str] | None]:
        return {path: ("sha256", digest) for path, digest in site_files(self.root).items()}

    def upload(self, site_dir: Path, paths: list[str]) -> None:
        try:
            for path in paths:
                _write_atomic(self.root / path, (site_dir / path).read_bytes())
        except OSError as exc:
            raise PublishError(
                f"Writing {exc.filename or self.root} failed: {exc.strerror or exc}. Check that the target folder "
                f"{self.root} can be written to, then publish again to complete it."
            ) from exc

    def remove(self, paths: tuple[str, ...]) -> None:
        for path in paths:
            (self.root / path).unlink(missing_ok=True)
            for parent in (self.root / path).parents:
                if parent == self.root:
                    break
                try:
                    parent.rmdir()
                except OSError:  # not empty
                    break

    def finish(self, message: str) -> None:
        pass


class _Git(_Folder):
    """A work tree of the branch, kept under the state folder; the publish is one commit without parents, pushed
    in place of the branch, so that the pages a publish removed stay in no history of a public repository."""

    def __init__(self, target: Target, state_dir: Path):
        super().__init__(state_dir / f"git-{hashlib.sha256(str(target).encode()).hexdigest()[:16]}")
        self.url, self.ref = target.location, f"refs/heads/{target.branch}"

    def _git(self, *args: str, what: str, hint: str = "", ok: tuple[int, ...] = (0,)):
        return _run(["git", "-C", str(self.root), *args], what=what, hint=hint, ok=ok)

    def held(self, state: dict[str, str] | None) -> dict[str, tuple[str, str] | None]:
        found = (
            _run(
                ["git", "ls-remote", "--exit-code", self.url, self.ref],
                what=f"Reading {self.url}",
                hint="Check the repository URL and that you may access it.",
                ok=(0, 2),
            ).returncode
            == 0
        )
        # No branch yet: start it afresh, as an orphan. A lock file: a publish was killed amid a git command,
        # whose lock would stop the next one; start afresh too rather than trust what it left.
        if not found or any((self.root / ".git").rglob("*.lock")):
            shutil.rmtree(self.root, ignore_errors=True)
        if not (self.root / ".git").is_dir():
            self.root.mkdir(parents=True, exist_ok=True)
            self._git("init", "-q", what="Preparing the git work tree")
            self._git("symbolic-ref", "HEAD", self.ref, what="Preparing the git work tree")
        if found:
            self._git("fetch", "-q", "--depth=1", self.url, self.ref, what=f"Fetching {self.ref} from {self.url}")
            self._git(
                "checkout",
                "-q",
                "-f",
                "-B",
                self.ref.removeprefix("refs/heads/"),
                "FETCH_HEAD",
                what="Checking out the published branch",
            )
            self._git("clean", "-q", "-ffdx", what="Cleaning the git work tree")
        return super().held(state)

    def finish(self, message: str) -> None:
        self._git("add", "-A", what="Staging the site")
        if self._git("diff", "--cached", "--quiet", what="Comparing with the branch", ok=(0, 1)).returncode == 0:
            return
        tree = self._git("write-tree", what="Staging the site").stdout.strip()
        # A fixed identity so publishing works on machines without git set up; GIT_AUTHOR_* still win.
        commit = self._git(
            "-c",
            "user.name=Debtor Portal",
            "-c",
            "user.email=debtor-portal@localhost",
            "-c",
            "commit.gpgsign=false",
            "commit-tree",
            tree,
            "-m",
            message,
            what="Committing the site",
        ).stdout.strip()
        published = self._git("rev-parse", "--verify", "-q", "HEAD", what="Reading the branch", ok=(0, 1))
        self._git(
            "push",
            "-q",
            f"--force-with-lease={self.ref}:{published.stdout.strip()}",  # replaced only if as fetched
            self.url,
            f"{commit}:{self.ref}",
            what=f"Pushing to {self.url}",
            hint="If someone else updated the branch meanwhile, publish again; otherwise check your access rights, "
            "and that the branch's protection allows it to be replaced (a force push): each publish replaces it.",
        )
        self._git("reset", "-q", "--soft", commit, what="Recording the published commit")


class _Rclone:
    def __init__(self, target: Target):
        self.dest = target.location
        remote = self.dest.split(":", 1)[0].split(",", 1)[0]
        remotes = _run(["rclone", "listremotes"], what="Listing rclone remotes").stdout.split()
        if f"{remote}:" not in remotes:
            config = _run(["rclone", "config", "file"], what="Locating the rclone configuration").stdout
            raise PublishError(
                f"rclone has no remote named '{remote}' (known remotes: {', '.join(remotes) or 'none'}; "
                f"{config.strip().splitlines()[-1]}). Create it with `rclone config`, or fix the target."
            )

    def held(self, state: dict[str, str] | None) -> dict[str, tuple[str, str] | None]:
        listing = _run(
            ["rclone", "lsjson", "-R", "--files-only", "--hash", "--no-mimetype", "--no-modtime", self.dest],
            what=f"Listing {self.dest}",
            ok=(0, 3),
        )  # 3: nothing published yet
        held: dict[str, tuple[str, str] | None] = {}
        for entry in json.loads(listing.stdout) if listing.returncode == 0 else []:
            path, hashes = entry["Path"], entry.get("Hashes") or {}
            if hosts_own(path):
                continue
            algorithm = next((name for name in ("sha256", "sha1", "md5") if hashes.get(name)), None)
            if algorithm:
                held[path] = (algorithm, hashes[algorithm].lower())
            else:  # the backend keeps no hash we can compute: trust what was uploaded last
                held[path] = ("sha256", state[path]) if state and path in state else None
        return held

    def upload(self, site_dir: Path, paths: list[str]) -> None:
        # Some servers (WebDAV, FTP) write an upload straight into the file, which is then seen half-written, and
        # left so if the upload is cut off: upload to a temporary folder, then move the files into place.
        # --ignore-times: some backends keep no modification times, and a same-size change must still go.
        stage = _join(self.dest, f".publish-{os.urandom(4).hex()}.tmp")
        _run(
            ["rclone", "copy", "--files-from-raw", "-", "--no-traverse", "--ignore-times", str(site_dir), stage],
            input="\n".join(paths),
            what=f"Uploading to {self.dest}",
        )
        for top in sorted({path.split("/", 1)[0] for path in paths}):  # rclone won't move a folder into its parent
            command = "move" if any(path.startswith(f"{top}/") for path in paths) else "moveto"
            _run(
                ["rclone", command, "--no-traverse", "--ignore-times", _join(stage, top), _join(self.dest, top)],
                what=f"Moving the uploaded files into place on {self.dest}",
            )
        _run(["rclone", "purge", stage], what=f"Removing the temporary folder {stage}")

    def remove(self, paths: tuple[str, ...]) -> None:
        _run(
            ["rclone", "delete", "--files-from-raw", "-", self.dest],
            input="\n".join(paths),
            what=f"Removing stale files from {self.dest}",
        )
        _run(["rclone", "rmdirs", "--leave-root", self.dest], what=f"Removing empty folders from {self.dest}")

    def finish(self, message: str) -> None:
        pass


def _backend(site_dir: Path, target: Target, state_dir: Path) -> _Folder | _Rclone:
    if not site_dir.is_dir():
        raise PublishError(f"The site folder {site_dir} does not exist; build the site first.")
    _apart(state_dir, "The publish state folder", site_dir, "the site folder")
    if target.kind == "rclone":
        return _Rclone(target)
    if target.kind == "git":
        return _Git(target, state_dir)
    root = Path(target.location)
    _apart(root, "The target folder", site_dir, "the site folder")
    _apart(root, "The target folder", state_dir, "the publish state folder")
    if root.exists() and not root.is_dir():
        raise PublishError(f"The target {root} is a file, not a folder; choose a folder.")
    if not root.exists() and not root.parent.is_dir():  # an unmounted share, say: do not make it on this disk
        raise PublishError(
            f"{root.parent}, which should hold the target folder {root.name}, is not a folder here (a share not "
            "connected?): connect or create it, or choose another target."
        )
    return _Folder(root)


# --- plumbing

_TEMP = re.compile(r"(^|/)\.publish-[^/]*\.tmp(/|$)")  # what a killed publish leaves: _write_atomic's files,
# _Rclone.upload's folders
_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"'#?]*)""", re.IGNORECASE)


def _batches(site_dir: Path, todo: Plan) -> list[list[str]]:
    """Upload order: everything but pages, then pages, each folder of pages after the folders of the new pages
    it links to. A folder goes whole: its languages link to each other, and would otherwise make every order
    a cycle."""
    uploads = set(todo.added + todo.changed)
    pages = {p for p in uploads if p.endswith((".html", ".htm"))}
    new_pages = pages & set(todo.added)
    batches = [sorted(uploads - pages)]
    folders: dict[str, set[str]] = {}
    for page in pages:
        folders.setdefault(posixpath.dirname(page), set()).add(page)
    needs = {
        folder: {posixpath.dirname(link) for page in members for link in _links(site_dir, page) & new_pages} - {folder}
        for folder, members in folders.items()
    }
    order = TopologicalSorter(needs)
    try:
        order.prepare()
        while order.is_active():
            ready = order.get_ready()
            batches.append(sorted(page for folder in ready for page in folders[folder]))
            order.done(*ready)
    except CycleError:  # new folders linking to each other (a new customer's first invoice): send them together
        batches.append(sorted(pages))
    return [batch for batch in batches if batch]


def _join(remote_path: str, name: str) -> str:
    return remote_path + ("" if remote_path.endswith((":", "/")) else "/") + name


def _links(site_dir: Path, page: str) -> set[str]:
    """Site paths a page's relative and root-relative links may point to."""
    found = set()
    for match in _LINK.finditer((site_dir / page).read_text("utf-8", errors="replace")):
        ref = unquote(match.group(1).strip())
        if not ref or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|//", ref):
            continue
        path = posixpath.normpath(
            ref.lstrip("/") if ref.startswith("/") else posixpath.join(posixpath.dirname(page), ref)
        )
        found |= {path, posixpath.normpath(path + "/index.html")}
    return found


def _same(file: Path, sha256: str, held: tuple[str, str] | None) -> bool:
    if held is None:
        return False
    algorithm, digest = held
    return (sha256 if algorithm == "sha256" else _digest(file, algorithm)) == digest


HOSTS_OWN = ("CNAME",)  # GitHub Pages keeps a custom domain in it: a host's file, not the site's


def hosts_own(path: str) -> bool:
    """A file at the top of a target that is the host's, never the site's: hidden ones (.git, .htaccess,
    .well-known/, a folder's .gitkeep) and HOSTS_OWN. A publish neither lists nor removes them."""
    top = path.split("/", 1)[0]
    return (top.startswith(".") and not _TEMP.search(path)) or path in HOSTS_OWN


def site_files(root: Path) -> dict[str, str]:
    """Relative posix path -> sha256 of every file under root, except the host's own (`hosts_own`)."""
    found = {}
    for folder, subfolders, files in os.walk(root):
        if folder == str(root):
            subfolders[:] = [name for name in subfolders if not hosts_own(name)]
            files = [name for name in files if not hosts_own(name)]
        for name in files:
            path = Path(folder, name)
            found[path.relative_to(root).as_posix()] = _digest(path, "sha256")
    return found


def _digest(path: Path, algorithm: str) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, algorithm).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never a partial one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".publish-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(temp, 0o644)  # mkstemp makes it private; a web server must read it
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def _load_state(path: Path) -> dict[str, str] | None:
    try:
        return dict(json.loads(path.read_text("utf-8"))["files"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):  # damaged: as good as none
        return None


def _local_path(text: str, base_dir: Path) -> Path:
    return (Path(base_dir) / Path(text).expanduser()).resolve()


def _apart(a: Path, a_name: str, b: Path, b_name: str) -> None:
    if a == b or a.is_relative_to(b) or b.is_relative_to(a):
        raise PublishError(
            f"{a_name} ({a}) and {b_name} ({b}) must not be inside one another, or publishing "
            f"would copy the site into itself or delete it. Choose {a_name.lower()} elsewhere."
        )


_INSTALL = {
    "rclone": "Install it from https://rclone.org/install/ (Debian/Ubuntu: apt install rclone).",
    "git": "Install it from https://git-scm.com/downloads (Debian/Ubuntu: apt install git).",
}


def _run(
    args: list[str], *, what: str, hint: str = "", ok: tuple[int, ...] = (0,), input: str | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(args, input=input, capture_output=True, text=True, encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise PublishError(f"{what}: the {args[0]} program was not found. {_INSTALL[args[0]]}") from None
    if done.returncode not in ok:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-12:])
        raise PublishError(
            f"{what} failed ({args[0]} exit code {done.returncode}):\n{tail}" + (f"\n{hint}" if hint else "")
        )
    return done
