"""Encrypted pages: the host stores ciphertext, the key travels only in the link's #fragment.

When the creditor sets `encrypt_pages`, every private page is published as a small
wrapper document (`templates/site/encrypted.html`) that holds the original page,
encrypted with AES-256-GCM, and an inline script that decrypts it with WebCrypto.
The key is in the URL fragment (`…/i/<token>/#k=<base64url key>`): browsers never send
the fragment to the host, nor in a Referer header, so the host and anyone reading its
storage or logs sees neither the key nor a readable word of the page.

Choices, all deterministic so that the same page and secret give the same bytes:

* key: ``page_key(secret, path)`` = HMAC-SHA256(secret, "page-key" US path), with path
  the page's folder as in ``PageLink.path`` ("i/<token>/"): one key for the folder's
  index.html and its <lang>.html variants. Stable across builds, so a link that was
  e-mailed stays valid; independent of the URL token (another HMAC message of the same
  secret), so the path does not reveal the key. Rotating the secret changes both.
* nonce: the first 12 bytes of HMAC-SHA256(key, plaintext), a synthetic IV. The same
  page under the same key gives the same nonce and ciphertext (which only says "this page
  did not change"); two different pages never share a nonce unless HMAC collides.
* AAD: empty. The key is already bound to one page path (it is derived from it), so a
  ciphertext moved to another path does not decrypt there anyway; and the script would
  otherwise have to rebuild the path from `location`, which differs between hosts
  (sub-folder deployments, `/i/x/` against `/i/x/index.html`, file:// previews).
* payload: standard base64 of nonce ‖ ciphertext ‖ tag, in a
  ``<script type="application/octet-stream" id="payload">`` data block: a non-JavaScript
  type is never executed, so it needs no CSP hash.
* decryption replaces the document with ``document.open(); document.write(html);
  document.close()``, once the wrapper is parsed: the page is parsed exactly as if it had
  been loaded (doctype and standards mode, `<html lang>`, title, stylesheet, its own CSP
  meta and inline copy script, in order), its URL stays the page URL (relative links
  resolve as before, the fragment survives a reload), and the wrapper's policies (HTTP
  header and meta) stay in force on top of the page's own: they must allow both inline
  scripts, the decrypt script (DECRYPT_SCRIPT_HASH) and the page's copy script.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import jinja2
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import templating

TEMPLATE = "site/encrypted.html"
KEY_BYTES = 32
NONCE_BYTES = 12
AAD = b""  # see the module docstring: the key is already bound to the page's path

# Reads #k=…, decrypts the payload and writes the page over this document, once this document
# is parsed (while it is still loading, Chromium ignores document.open() and document.write()
# would append to it instead of replacing it). On a missing or
# wrong key it shows #decrypt-error; without WebCrypto (plain-http host, very old browser) it
# leaves #decrypt-note, which says to contact the creditor. Every error is caught.
DECRYPT_SCRIPT = (
    "(function(){var d=document,g=function(i){return d.getElementById(i)},n=g('decrypt-note'),"
    "e=g('decrypt-error'),c=self.crypto&&crypto.subtle;if(!c||!self.TextDecoder)return;n.hidden=true;"
    "function fail(){n.hidden=true;e.hidden=false}"
    "function b(s){return Uint8Array.from(atob(s.replace(/-/g,'+').replace(/_/g,'/')),"
    "function(x){return x.charCodeAt(0)})}"
    "var m=/(?:^#|&)k=([\\w-]{43})(?:&|$)/.exec(location.hash);if(!m)return fail();"
    "Promise.resolve().then(function(){var p=b(g('payload').textContent.trim());"
    "return c.importKey('raw',b(m[1]),'AES-GCM',false,['decrypt']).then(function(k){"
    "return c.decrypt({name:'AES-GCM',iv:p.subarray(0,12)},k,p.subarray(12))})})"
    ".then(function(t){var h=new TextDecoder().decode(t);function w(){d.open();d.write(h);d.close()}"
    "d.readyState=='loading'?d.addEventListener('DOMContentLoaded',w):w()})"
    ".catch(fail)})();"
)
DECRYPT_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(DECRYPT_SCRIPT.encode()).digest()).decode()


# The wrapper's two texts, shaped like messages.yml entries (meant to move there); {creditor}
# is the creditor's name, optionally with a phone or e-mail: never the debtor's.
def page_key(secret_key: bytes, page_path: str) -> bytes:
    """The 32-byte AES key of one page, e.g. page_path "i/<token>/" (the PageLink's path)."""
    return hmac.new(secret_key, b"page-key\x1f" + page_path.encode(), hashlib.sha256).digest()


def fragment(key: bytes) -> str:
    """What follows '#' in the page's link: "k=" and the key in base64url without padding."""
    return "k=" + base64.urlsafe_b64encode(key).decode().rstrip("=")


def nonce_for(key: bytes, plaintext: bytes) -> bytes:
    """Synthetic IV: the first 12 bytes of HMAC-SHA256(key, plaintext)."""
    return hmac.new(key, plaintext, hashlib.sha256).digest()[:NONCE_BYTES]


def seal(plaintext: bytes, key: bytes) -> bytes:
    """nonce ‖ AES-256-GCM ciphertext ‖ 16-byte tag."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"an AES-256 key has {KEY_BYTES} bytes, not {len(key)}")
    nonce = nonce_for(key, plaintext)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, AAD)


def open_sealed(sealed: bytes, key: bytes) -> bytes:
    """The inverse of `seal` (what the browser does), for tests and checks."""
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], AAD)


def encrypt_page(
    page_html: str,
    key: bytes,
    *,
    lang: str,
    title: str,
    noscript_text: str,
    wrong_key_text: str,
    css_href: str,
    csp: str,
    env: jinja2.Environment | None = None,
    identity_html: str = "",
) -> str:
    """The wrapper document that replaces `page_html` on the host.

    Only `lang`, `title`, the two texts, `css_href`, `csp` and the creditor's `identity_html` appear in
    clear: none of them
    may carry the debtor's data (use a generic title such as "Payment portal – <creditor>").
    `csp` must allow DECRYPT_SCRIPT_HASH and, for the decrypted page, its own inline script.
    """
    if DECRYPT_SCRIPT_HASH not in csp:
        raise ValueError(
            f"the Content-Security-Policy must allow the decrypt script: add '{DECRYPT_SCRIPT_HASH}' to its script-src"
        )
    payload = base64.b64encode(seal(page_html.encode("utf-8"), key)).decode()
    env = env or templating.environment(None)
    return env.get_template(TEMPLATE).render(
        lang=lang,
        title=title,
        noscript_text=noscript_text,
        wrong_key_text=wrong_key_text,
        css_href=css_href,
        csp=csp,
        payload=payload,
        script=DECRYPT_SCRIPT,
        identity_html=identity_html,
    )
