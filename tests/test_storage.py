"""qa.storage: hashing files and folders, checksums checked, the lock, staging and the rename into place."""

from __future__ import annotations

import hashlib
import threading

import pytest

from qa.storage import (
    checksum_problems,
    file_lock,
    folder_checksums,
    folder_digest,
    replace_link,
    sha256_bytes,
    sha256_file,
    sha256_files,
    staged_folder,
)


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "folder"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha")
    (root / "sub" / "b.bin").write_bytes(bytes(range(256)) * 5000)  # more than one read block
    (root / "manifest.json").write_text("{}")
    return root


def test_a_file_and_bytes_hash_to_their_sha256(folder):
    data = (folder / "sub" / "b.bin").read_bytes()
    assert sha256_file(folder / "sub" / "b.bin") == hashlib.sha256(data).hexdigest() == sha256_bytes(data)
    together = sha256_files([folder / "a.txt", folder / "sub" / "b.bin"])
    assert together == hashlib.sha256(b"alpha" + data).hexdigest()


def test_a_folder_hashes_to_its_checksums_by_relative_path(folder):
    checksums = folder_checksums(folder, exclude=("manifest.json",))
    assert checksums == {"a.txt": sha256_bytes(b"alpha"), "sub/b.bin": sha256_file(folder / "sub" / "b.bin")}
    assert list(checksums) == sorted(checksums)
    assert "manifest.json" in folder_checksums(folder)
    assert checksum_problems(folder, checksums) == []


def test_a_checksum_mismatch_and_a_missing_file_are_found(folder):
    checksums = folder_checksums(folder)
    (folder / "a.txt").write_bytes(b"alphA")
    (folder / "sub" / "b.bin").unlink()
    assert checksum_problems(folder, checksums) == [("a.txt", "damaged"), ("sub/b.bin", "missing")]


def test_the_folder_digest_covers_names_and_contents(folder, tmp_path):
    before = folder_digest(folder)
    assert folder_digest(folder) == before
    (folder / "a.txt").rename(folder / "c.txt")
    assert folder_digest(folder) != before
    (folder / "c.txt").rename(folder / "a.txt")
    assert folder_digest(folder) == before


def test_a_staged_folder_is_renamed_into_place_and_leaves_no_trace(tmp_path):
    target = tmp_path / "out" / "model"
    with staged_folder(target) as staging:
        assert staging.is_dir() and not target.exists()
        (staging / "x").write_text("new")
    assert (target / "x").read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["model"]


def test_a_failed_staging_leaves_the_old_folder_intact(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "x").write_text("old")
    with pytest.raises(RuntimeError, match="power cut"), staged_folder(target, if_exists="replace") as staging:
        (staging / "x").write_text("half")
        raise RuntimeError("power cut")
    assert (target / "x").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_replace_swaps_the_old_folder_for_the_new(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "x").write_text("old")
    (target / "gone").write_text("old only")
    with staged_folder(target, if_exists="replace") as staging:
        (staging / "x").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["x"] and (target / "x").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_an_existing_target_is_kept_or_an_error_as_asked(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "x").write_text("first")
    with staged_folder(target, if_exists="keep") as staging:  # another writer won
        (staging / "x").write_text("second")
    assert (target / "x").read_text() == "first"
    with pytest.raises(OSError), staged_folder(target, staging=tmp_path / ".tmp-model") as staging:
        (staging / "x").write_text("third")
    assert (target / "x").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_named_staging_folder_is_used_and_durable(tmp_path):
    with staged_folder(tmp_path / "builds" / "b1", staging=tmp_path / "builds" / ".tmp-b1", durable=True) as staging:
        assert staging == tmp_path / "builds" / ".tmp-b1"
        (staging / "f").write_text("data")
    assert sorted(p.name for p in (tmp_path / "builds").iterdir()) == ["b1"]


def test_the_link_is_swapped_to_the_new_folder(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    link = tmp_path / "current"
    replace_link(link, "one")
    assert link.resolve() == (tmp_path / "one").resolve()
    replace_link(link, "two")
    assert link.resolve() == (tmp_path / "two").resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "one", "two"]


def test_the_lock_excludes_a_second_holder(tmp_path):
    path = tmp_path / "locks" / ".build.lock"
    with file_lock(path), pytest.raises(BlockingIOError), file_lock(path, blocking=False):
        pass
    with file_lock(path, blocking=False):  # free again once the first holder is done
        pass


def test_a_waiting_holder_gets_the_lock_when_the_first_lets_go(tmp_path):
    path = tmp_path / ".lock"
    order: list[str] = []
    entered = threading.Event()

    def second() -> None:
        entered.set()
        with file_lock(path):
            order.append("second")

    with file_lock(path):
        thread = threading.Thread(target=second)
        thread.start()
        entered.wait()
        thread.join(0.2)
        assert thread.is_alive()  # still waiting
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]
