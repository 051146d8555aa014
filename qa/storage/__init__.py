"""Files on disk: SHA-256 of bytes, files and folders; locks; staging a folder and putting it in place.

Every writer of a folder that readers may be using at the same time goes through here:
the index build (``qa.index.publish``), the model conversion (``qa.embedding.e5convert``)
and the Ray workers' model cache (``qa.index.cluster``). The pattern is the same each time:

1. take a lock (``file_lock``), so that one process writes at a time;
2. write the new folder aside (``staged_folder``), never in the place readers look;
3. put it in place with a rename (and, for the index, swap a link with ``replace_link``),
   so that a reader sees the old folder or the new one, never half of one; a failure
   leaves the old folder as it was.

The checksums written beside a folder (``folder_checksums``: {relative path: SHA-256}) and
checked later (``checksum_problems``) are the index manifest's ``files`` and the model
folder's ``conversion.json``. Standard library only; imports nothing else from ``qa``.

* ``hashing``  SHA-256 of bytes, a file, a set of files, a folder (its checksums, its digest)
* ``staging``  the lock, the staged folder and its rename into place, the link swap, fsync
"""

from __future__ import annotations

from qa.storage.hashing import (
    checksum_problems,
    folder_checksums,
    folder_digest,
    folder_files,
    sha256_bytes,
    sha256_file,
    sha256_files,
)
from qa.storage.staging import file_lock, fsync_folder, fsync_tree, replace_link, staged_folder

__all__ = [
    "checksum_problems",
    "file_lock",
    "folder_checksums",
    "folder_digest",
    "folder_files",
    "fsync_folder",
    "fsync_tree",
    "replace_link",
    "sha256_bytes",
    "sha256_file",
    "sha256_files",
    "staged_folder",
]
