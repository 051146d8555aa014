"""Staleness: whether the current build still describes the articles and the model.

Compared by content, never by file times: the SHA-256 of every article file's bytes
against the manifest's ``sources``, and the model record (``qa.embedding.embedder.model_record``: name,
fingerprint, passage prefix) against the manifest's ``model`` section, written by
``qa.embedding.embedder.manifest_section``. Nothing is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.index.layout import FORMAT_VERSION, IndexProblem, file_problems, read_manifest
from qa.index.publish import current_build
from qa.ingest.corpus import source_hashes


def staleness(manifest: dict[str, Any], hashes: dict[str, str], model: dict[str, Any]) -> list[str]:
    """Why a manifest does not describe the current articles and model (empty if it does).

    ``model`` is ``qa.embedding.embedder.model_record``: each of its keys is compared with the
    manifest's ``model`` section (which also holds what does not make an index stale).
    """
    reasons = []
    if manifest.get("format_version") != FORMAT_VERSION:
        reasons.append(f"index format {manifest.get('format_version')} is not {FORMAT_VERSION}")
    built_model = manifest.get("model", {})
    for key in model:
        if built_model.get(key) != model.get(key):
            reasons.append(f"model {key} changed: {built_model.get(key)!r} -> {model.get(key)!r}")
    built = manifest.get("sources", {})
    added = sorted(set(hashes) - set(built))
    removed = sorted(set(built) - set(hashes))
    changed = sorted(name for name in set(built) & set(hashes) if built[name] != hashes[name])
    if added:
        reasons.append(f"articles added: {', '.join(added)}")
    if removed:
        reasons.append(f"articles removed: {', '.join(removed)}")
    if changed:
        reasons.append(f"articles changed: {', '.join(changed)}")
    return reasons


def index_status(
    index_dir: Path, seeds_dir: Path, model: dict[str, Any], verify_files: bool = True, check_articles: bool = True
) -> list[str]:
    """Reasons to rebuild, from the manifest, the articles' hashes (``check_articles``) and
    (``verify_files``) the index files' checksums, without loading anything; empty when up to date.

    ``qa serve`` calls this before it starts workers, so a truncated or damaged build is
    rebuilt (or refused, with ``QA_AUTO_BUILD=false``) with a one-line reason.
    """
    build = current_build(index_dir)
    if build is None:
        return ["no index has been built"]
    try:
        manifest = read_manifest(build)
    except IndexProblem as problem:
        return [str(problem)]
    hashes = source_hashes(seeds_dir) if check_articles else manifest.get("sources", {})
    reasons = staleness(manifest, hashes, model)
    if verify_files and not reasons:
        reasons = file_problems(build, manifest)
    return reasons
