"""A short catalogue of small instruction models (GGUF, Q4_K_M) the "LLM on this machine" candidate can
download once instead of being given a path.

Nothing here touches the network at import time or in `catalogue_status`; only `ensure_catalogue_model`
downloads, and only when the file is not on this machine yet. Sizes are shown before ("about 491 MB"),
progress is reported during (bytes done, bytes expected) and the file is hash-checked after, like the
ImageNet weights (core/models/weights.py, whose WeightsUnavailable, timeout and chunk size this reuses).

The hash check: nobody can know these files' SHA-256 in advance here, so the file is checked against the
hash its host publishes with it. Hugging Face answers `/<repo>/resolve/<rev>/<file>` for a large (LFS/Xet)
file with a redirect to its CDN whose headers carry `X-Linked-ETag` (the file's SHA-256, quoted) and
`X-Linked-Size`. The download reads them from that first response (redirects are followed by hand, so the
headers are not lost to the CDN's answer), hashes the bytes while streaming them to `<file>.part`, and
moves the file into place only when the hashes agree; it then writes `<file>.sha256` (sha256sum format) so
later runs know the file is verified without hashing a gigabyte again. A host that gives no hash is refused
("cannot verify") rather than leaving an unverified file. Only a hash sent by the download's own host
counts (not one from a host it redirects to).

HF_ENDPOINT (as huggingface_hub reads it, e.g. a mirror) replaces https://huggingface.co when set.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from core.config import get_settings
from core.i18n import translate
from core.models import weights
from core.models.weights import Progress, WeightsUnavailable

__all__ = ["CATALOGUE", "CatalogueEntry", "WeightsUnavailable", "catalogue_entries", "catalogue_entry",
           "catalogue_label", "catalogue_path", "catalogue_status", "catalogue_status_message", "download_url",
           "ensure_catalogue_model", "llm_models_dir", "progress_message", "recorded_sha256"]

HF_ENDPOINT = "https://huggingface.co"
MAX_REDIRECTS = 5
MB = 1_000_000  # sizes in MB as Hugging Face shows them (10^6 bytes)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class CatalogueEntry:
    """One downloadable GGUF model: where it lives on Hugging Face, its approximate size and its terms."""

    id: str
    name: str  # display name, the same in every language
    repo: str  # Hugging Face repository, owner/name
    filename: str  # the GGUF file in the repository (also its local name)
    size_mb: int  # approximate, shown as "about N MB" before downloading
    licence: str
    licence_url: str
    languages: tuple[str, ...]  # which of the app's languages (en, zh) the model officially supports

    @property
    def url(self) -> str:
        """The download URL on huggingface.co (`download_url` honours HF_ENDPOINT)."""
        return f"{HF_ENDPOINT}/{self.repo}/resolve/main/{self.filename}"


APACHE_2 = ("Apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0")
LLAMA_32 = ("Llama 3.2 Community License", "https://www.llama.com/llama3_2/license/")

CATALOGUE: dict[str, CatalogueEntry] = {entry.id: entry for entry in (
    CatalogueEntry("qwen2.5-0.5b-instruct-q4_k_m", "Qwen2.5-0.5B-Instruct (Q4_K_M)", "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
                   "qwen2.5-0.5b-instruct-q4_k_m.gguf", 491, *APACHE_2, ("en", "zh")),
    CatalogueEntry("qwen2.5-1.5b-instruct-q4_k_m", "Qwen2.5-1.5B-Instruct (Q4_K_M)", "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
                   "qwen2.5-1.5b-instruct-q4_k_m.gguf", 1117, *APACHE_2, ("en", "zh")),
    # Llama 3.2 officially supports English, German, French, Italian, Portuguese, Hindi, Spanish and Thai: not Chinese.
    CatalogueEntry("llama-3.2-1b-instruct-q4_k_m", "Llama-3.2-1B-Instruct (Q4_K_M)",
                   "bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q4_K_M.gguf", 808, *LLAMA_32,
                   ("en",)),
)}

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def catalogue_entries() -> list[CatalogueEntry]:
    """The entries in display order (smallest Qwen first)."""
    return list(CATALOGUE.values())


def catalogue_entry(entry_id: str) -> CatalogueEntry:
    try:
        return CATALOGUE[entry_id]
    except KeyError:
        raise KeyError(f"No catalogue model {entry_id!r}; known: {', '.join(CATALOGUE)}.") from None


def download_url(entry: CatalogueEntry) -> str:
    """The entry's URL on HF_ENDPOINT when that is set (a mirror), else on huggingface.co."""
    endpoint = (os.environ.get("HF_ENDPOINT") or HF_ENDPOINT).rstrip("/")
    return f"{endpoint}/{entry.repo}/resolve/main/{urllib.parse.quote(entry.filename)}"


def llm_models_dir() -> Path:
    """Where catalogue models are kept: <data dir>/models/llm."""
    return get_settings().models_dir / "llm"


def catalogue_path(entry_id: str) -> Path:
    """The path the entry's GGUF file is (or will be) kept at."""
    return llm_models_dir() / catalogue_entry(entry_id).filename


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def recorded_sha256(path: str | Path) -> str | None:
    """The SHA-256 recorded beside a verified download (<file>.sha256), or None when there is none."""
    try:
        text = _sidecar(Path(path)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    first = text.split()[0].lower() if text.split() else ""
    return first if _SHA256.match(first) else None


def _is_verified(path: Path) -> bool:
    return path.is_file() and recorded_sha256(path) is not None


def catalogue_status(entry_id: str) -> tuple[str, int]:
    """("cached" | "download" | "offline", approximate size in MB); never touches the network.

    "cached": the file and its recorded hash are here. "offline": STUDIO_OFFLINE forbids the download
    and the file is not here yet.
    """
    entry = catalogue_entry(entry_id)
    if _is_verified(catalogue_path(entry_id)):
        return "cached", entry.size_mb
    return ("download" if get_settings().allow_online else "offline"), entry.size_mb


def _lock(entry_id: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(entry_id, threading.Lock())


def _error(key: str, entry: CatalogueEntry, **params) -> WeightsUnavailable:
    return WeightsUnavailable(f"errors.llm_catalogue.{key}", name=entry.name, size_mb=str(entry.size_mb), **params)


def _offline(entry: CatalogueEntry, detail: str = "STUDIO_OFFLINE=1") -> WeightsUnavailable:
    return _error("offline", entry, detail=detail)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects come back as HTTPError (3xx) so their headers, where Hugging Face puts the hash, can be read."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _linked_sha256(headers) -> str | None:
    value = (headers.get("X-Linked-ETag") or "") if headers is not None else ""
    value = value.strip()
    value = value[2:] if value.startswith("W/") else value
    value = value.strip('"').lower()
    return value if _SHA256.match(value) else None


def _int_header(headers, name: str) -> int | None:
    value = str(headers.get(name) or "").strip() if headers is not None else ""
    return int(value) if value.isdigit() else None


def _open(url: str, entry: CatalogueEntry):
    """(response streaming the file, host's SHA-256 or None, size in bytes or None), redirects followed by hand.

    The response is None when a redirect leaves the host before it gave a hash (the file cannot be verified).
    """
    opener = urllib.request.build_opener(_NoRedirect)
    host = urllib.parse.urlsplit(url).netloc
    sha256 = size = None
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = opener.open(urllib.request.Request(url), timeout=weights.DOWNLOAD_TIMEOUT_S)
        except urllib.error.HTTPError as error:
            location = error.headers.get("Location") if 300 <= error.code < 400 else None
            if not location:
                raise
            if urllib.parse.urlsplit(url).netloc == host:  # only the download's own host vouches for the file
                sha256 = sha256 or _linked_sha256(error.headers)
                size = size or _int_header(error.headers, "X-Linked-Size")
            error.close()
            url = urllib.parse.urljoin(url, location)
            if sha256 is None and urllib.parse.urlsplit(url).netloc != host:
                return None, None, size  # nobody further on may vouch for the file: refuse before fetching it
            continue
        if urllib.parse.urlsplit(response.geturl()).netloc == host:
            sha256 = sha256 or _linked_sha256(response.headers)
            size = size or _int_header(response.headers, "X-Linked-Size")
        return response, sha256, size
    raise _error("download_failed", entry, detail=f"more than {MAX_REDIRECTS} redirects")


def _check_space(entry: CatalogueEntry, folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed * 1.05:
        raise _error("disk_full", entry, free_mb=f"{free / MB:.0f}", folder=str(folder))


def _reason(error: BaseException) -> str:
    reason = str(getattr(error, "reason", None) or error)
    return reason.splitlines()[0][:200] if reason.strip() else type(error).__name__


def _download(entry: CatalogueEntry, path: Path, progress: Progress | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    url = download_url(entry)
    try:
        response, published, size = _open(url, entry)
    except WeightsUnavailable:
        raise
    except urllib.error.HTTPError as error:
        raise _error("download_failed", entry, detail=f"HTTP {error.code} {error.reason}".strip()) from error
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        raise _offline(entry, _reason(error)) from error
    if published is None:
        if response is not None:
            response.close()
        raise _error("no_hash", entry, host=urllib.parse.urlsplit(url).netloc)
    with response:
        length = _int_header(response.headers, "Content-Length")
        expected = size or length or entry.size_mb * MB
        _check_space(entry, path.parent, expected)
        digest = hashlib.sha256()
        done = 0
        try:
            with open(partial, "wb") as out:
                if progress:
                    progress(0, expected)
                for chunk in iter(lambda: response.read(weights.CHUNK_BYTES), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, max(expected, done))
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:  # lost connection, timeout, disk
            partial.unlink(missing_ok=True)
            raise _offline(entry, _reason(error)) from error
        except BaseException:  # a progress callback that cancels, Ctrl-C: no half file left behind
            partial.unlink(missing_ok=True)
            raise
    actual = digest.hexdigest()
    if actual != published:
        partial.unlink(missing_ok=True)
        raise _error("hash_mismatch", entry, expected=published, actual=actual)
    _sidecar(path).unlink(missing_ok=True)
    partial.replace(path)
    _sidecar(path).write_text(f"{actual}  {path.name}\n", encoding="utf-8")


def ensure_catalogue_model(entry_id: str, *, progress: Progress | None = None) -> Path:
    """The local, verified GGUF file of catalogue entry `entry_id`, downloading it once when it is missing.

    progress(bytes done, bytes expected) is called as the file streams (expected: the host's X-Linked-Size,
    else Content-Length, else the approximate size); it may raise (e.g. Cancelled) to stop, and the partial
    file is removed. Raises WeightsUnavailable (`.message(lang)`) when offline or the download fails, when
    the host publishes no hash ("cannot verify"), when the hash differs (nothing is kept), or when the disk
    is too full.
    """
    entry = catalogue_entry(entry_id)
    path = catalogue_path(entry_id)
    with _lock(entry_id):
        if not _is_verified(path):
            if not get_settings().allow_online:
                raise _offline(entry)
            _download(entry, path, progress)
    if progress:
        size = path.stat().st_size
        progress(size, size)
    return path


def catalogue_label(entry_id: str, lang: str = "en") -> str:
    """One line for a picker: "Qwen2.5-0.5B-Instruct (Q4_K_M) · about 491 MB · Apache-2.0 · English, Chinese"."""
    entry = catalogue_entry(entry_id)
    languages = ", " if lang == "en" else "、"
    languages = languages.join(translate(f"llm_catalogue.language.{code}", lang) for code in entry.languages)
    return translate("llm_catalogue.label", lang, name=entry.name, size_mb=entry.size_mb, licence=entry.licence,
                     languages=languages)


def catalogue_status_message(entry_id: str, lang: str = "en") -> str:
    """What `catalogue_status` means for this entry, in the reader's language (no network)."""
    entry = catalogue_entry(entry_id)
    state, size_mb = catalogue_status(entry_id)
    return translate(f"llm_catalogue.status.{state}", lang, name=entry.name, size_mb=size_mb)


def progress_message(entry_id: str, done: int, total: int, lang: str = "en") -> str:
    """"Downloading Qwen2.5-0.5B-Instruct (Q4_K_M): 120 of 491 MB" for a progress callback's (done, total)."""
    return translate("llm_catalogue.downloading", lang, name=catalogue_entry(entry_id).name,
                     done_mb=f"{done / MB:.0f}", total_mb=f"{max(total, done) / MB:.0f}")


CATALOGUE_PREFIX = "catalogue:"  # a run's model setting that names a catalogue entry instead of a file path


def local_model_path(model: str, *, progress: Progress | None = None) -> Path:
    """The GGUF file a run's model setting names: a path as given, or "catalogue:<id>", downloaded once and
    verified (WeightsUnavailable when it cannot be had)."""
    if str(model).startswith(CATALOGUE_PREFIX):
        return ensure_catalogue_model(str(model)[len(CATALOGUE_PREFIX):], progress=progress)
    return Path(model).expanduser()
