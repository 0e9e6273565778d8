"""What a build of the site gives back: the private link of each page, and what was written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PageLink:
    kind: str  # "i" (invoice) or "c" (customer statement)
    key: str  # invoice number or customer id
    token: str
    fragment: str = ""  # "#k=…" carrying an encrypted page's key; never sent to the host

    @property
    def path(self) -> str:
        return f"{self.kind}/{self.token}/"

    @property
    def href(self) -> str:
        """The link from another page of the site."""
        return f"../../{self.path}{self.fragment}"


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    files: dict[str, str]  # relative path -> sha256
    invoice_pages: dict[str, PageLink]
    statement_pages: dict[str, PageLink]
    warnings: tuple[str, ...] = ()
    secret_created: str = ""  # the secret file's path when this build created it
    rendered: int = 0  # units (an invoice's or a statement's pages, …) rendered by this build
    reused: int = 0  # units carried over unchanged from the previous build
    sources: tuple[Path, ...] = ()  # the files the workbook names that the pages were made from (PDFs, logo)
    notes: tuple[str, ...] = ()  # how this build went (worker processes that stopped): not said again by a rebuild

    def url(self, base_url: str, link: PageLink) -> str:
        return (base_url.rstrip("/") + "/" if base_url else "") + link.path + link.fragment
