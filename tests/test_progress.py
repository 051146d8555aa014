"""A build's progress: one log line per stage and no bar when standard error is not a terminal.

On a terminal each stage (splitting, embedding passages, embedding sentences) draws a tqdm
bar named for it; in a log file, CI or a pipe it logs one line when it ends; with progress
off (``qa index --quiet``) it says nothing.
"""

from __future__ import annotations

import logging

from qa.embedding.embedder import HashingEmbedder
from qa.index.build import BuildContext, build_index
from support.app import copy_seeds

STAGES = ("split articles", "embed passages", "embed sentences")


def _build(tmp_path, progress: bool) -> None:
    build_index(BuildContext(copy_seeds(tmp_path / "seeds"), tmp_path / "index", HashingEmbedder(), progress=progress))


def test_a_build_off_a_terminal_logs_one_line_per_stage_and_draws_no_bar(tmp_path, capsys, caplog):
    with caplog.at_level(logging.INFO, logger="qa.index.embed"):
        _build(tmp_path, progress=True)
    lines = [record.getMessage() for record in caplog.records if record.name == "qa.index.embed"]
    assert [line.split(":")[0] for line in lines] == list(STAGES), lines
    captured = capsys.readouterr()
    assert "%|" not in captured.err and "\r" not in captured.err, captured.err[-500:]


def test_a_quiet_build_reports_no_stage(tmp_path, capsys, caplog):
    with caplog.at_level(logging.INFO, logger="qa.index.embed"):
        _build(tmp_path, progress=False)
    assert not [record for record in caplog.records if record.name == "qa.index.embed"]
    assert "%|" not in capsys.readouterr().err
