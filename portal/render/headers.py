"""The headers a host should send with every page, and the one inline script the pages run."""

from __future__ import annotations

import base64
import hashlib

from . import encrypt

# The buttons show only where the clipboard can be written (HTTPS or this computer); "Copied" lasts two seconds.
COPY_SCRIPT = (
    "if(navigator.clipboard)document.querySelectorAll('button[data-copy]').forEach(function(b){"
    "var label=b.textContent;b.hidden=false;"
    "b.addEventListener('click',function(){navigator.clipboard.writeText(b.dataset.copy).then(function(){"
    "b.textContent=b.dataset.done;setTimeout(function(){b.textContent=label;},2000);});});});"
)


def script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def content_security_policy(frame_ancestors: bool = False) -> str:
    """No inline script but ours (the copy button and, for encrypted pages, the decrypter), nothing from elsewhere."""
    scripts = f"'{script_hash(COPY_SCRIPT)}' '{encrypt.DECRYPT_SCRIPT_HASH}'"
    policy = (
        f"default-src 'none'; style-src 'self'; img-src 'self' data:; script-src {scripts}; "
        "base-uri 'none'; form-action 'none'"
    )
    return policy + ("; frame-ancestors 'none'" if frame_ancestors else "")


def security_headers() -> dict[str, str]:
    """Headers every page should be served with (`_headers` and `serve` use them)."""
    return {
        "Content-Security-Policy": content_security_policy(frame_ancestors=True),
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex, nofollow",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        "Cache-Control": "no-cache",
    }


HEADERS_FILE = "_headers"  # where hosts such as Netlify and Cloudflare Pages read a site's headers


def headers_file() -> str:
    """The `_headers` file that hosts such as Netlify and Cloudflare Pages read."""
    lines = ["/*"] + [f"  {name}: {value}" for name, value in security_headers().items()]
    return "\n".join(lines) + "\n"
