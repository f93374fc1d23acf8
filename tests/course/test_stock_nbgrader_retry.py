"""Stock nbgrader's kernels race other tests' kernels for TCP ports: the autograde is retried for
that, and for nothing else."""
import pytest

import stock_nbgrader
from grading import course


def _failing(messages):
    calls = []

    def run_nbgrader(root, *args):
        calls.append(args)
        if len(calls) <= len(messages):
            raise RuntimeError(messages[len(calls) - 1])

    return calls, run_nbgrader


def test_a_port_taken_by_another_kernel_is_retried(monkeypatch, tmp_path):
    calls, fake = _failing(["zmq.error.ZMQError: Address already in use (addr='tcp://127.0.0.1:53411')"])
    monkeypatch.setattr(course, "run_nbgrader", fake)
    stock_nbgrader.autograde(tmp_path, "01_why_sigmoid")
    assert len(calls) == 2


def test_other_failures_are_not_retried(monkeypatch, tmp_path):
    calls, fake = _failing(["nbgrader autograde failed: cell timed out"])
    monkeypatch.setattr(course, "run_nbgrader", fake)
    with pytest.raises(RuntimeError, match="cell timed out"):
        stock_nbgrader.autograde(tmp_path, "01_why_sigmoid")
    assert len(calls) == 1


def test_a_race_that_keeps_happening_is_reported(monkeypatch, tmp_path):
    calls, fake = _failing(["Kernel died before replying to kernel_info"] * 3)
    monkeypatch.setattr(course, "run_nbgrader", fake)
    with pytest.raises(RuntimeError, match="Kernel died"):
        stock_nbgrader.autograde(tmp_path, "01_why_sigmoid")
    assert len(calls) == 3
