"""Optional backup of DATA_DIR to a private Hugging Face dataset (`WORKSPACE_BACKUP_REPO=owner/name`).

Every few minutes huggingface_hub's `CommitScheduler` pushes a folder of snapshots. Each
snapshot of a `*.sqlite3` file in DATA_DIR (workspaces, the paper ledger, other features'
files) is taken with SQLite's online backup API into a temporary file that is then renamed
into place, so the uploaded file is always a complete, consistent database, never a
half-written one. At start, when the local workspace database is missing, the files are
restored from the dataset first.

Only databases are backed up: no settings, tokens or environment. (Anonymous keys are stored
as hashes only.) `huggingface_hub` is imported lazily: it reads HF_ENDPOINT at import.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from workspace.db import snapshot

SNAPSHOT_DIR = ".backup"  # inside DATA_DIR; what the scheduler uploads
PATH_IN_REPO = "data"
log = logging.getLogger(__name__)


def databases(data_dir: str | Path) -> list[Path]:
    return sorted(p for p in Path(data_dir).glob("*.sqlite3") if p.is_file())


def snapshot_all(data_dir: str | Path, target_dir: str | Path) -> list[Path]:
    """A consistent copy of every database in `data_dir`, each renamed into `target_dir` only when complete."""
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in databases(data_dir):
        fd, partial = tempfile.mkstemp(prefix=f".{source.name}.", dir=target_dir)
        os.close(fd)
        try:
            snapshot(source, partial)
            os.replace(partial, target_dir / source.name)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        written.append(target_dir / source.name)
    return written


def restore_if_missing(settings, marker: str = "workspaces.sqlite3") -> list[str]:
    """Download the backed-up databases into DATA_DIR when `marker` is missing there; returns the names restored."""
    if not settings.workspace_backup_repo or (Path(settings.data_dir) / marker).exists():
        return []
    from huggingface_hub import snapshot_download

    token = settings.hf_token.reveal() or None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            snapshot_download(settings.workspace_backup_repo, repo_type="dataset", local_dir=tmp, token=token,
                              allow_patterns=[f"{PATH_IN_REPO}/*.sqlite3"])
        except Exception as exc:  # no backup yet, or the Hub is unreachable: start empty, say so in the log
            log.warning("workspace backup not restored from %s: %s", settings.workspace_backup_repo,
                        type(exc).__name__)
            return []
        restored = []
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        for path in sorted((Path(tmp) / PATH_IN_REPO).glob("*.sqlite3")):
            target = Path(settings.data_dir) / path.name
            if not target.exists():
                shutil.move(str(path), target)
                restored.append(path.name)
        return restored


def start_backup(settings):
    """A running `CommitScheduler` that snapshots DATA_DIR before each push, or None when no repo is set."""
    if not settings.workspace_backup_repo:
        return None
    from huggingface_hub import CommitScheduler

    data_dir = Path(settings.data_dir)
    folder = data_dir / SNAPSHOT_DIR

    class SnapshotScheduler(CommitScheduler):
        def push_to_hub(self):
            with self.lock:
                snapshot_all(data_dir, folder)
            return super().push_to_hub()

    folder.mkdir(parents=True, exist_ok=True)
    return SnapshotScheduler(repo_id=settings.workspace_backup_repo, repo_type="dataset", folder_path=folder,
                             path_in_repo=PATH_IN_REPO, every=settings.workspace_backup_minutes, private=True,
                             token=settings.hf_token.reveal() or None, allow_patterns=["*.sqlite3"])
