import shutil
import subprocess
import sys

import pytest

import fastnet
from fastnet.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"fastnet {fastnet.__version__}"


def test_help_lists_commands(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "bench" in out and "demo" in out


def test_bench_quick_filtered(capsys):
    assert main(["bench", "--quick", "--filter", "onehot", "--repeat", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("case")
    assert [line.split()[0] for line in out[2:]] == ["onehot", "onehot"]


def test_bench_bad_arguments(capsys):
    assert main(["bench", "--filter", "nope"]) == 2
    assert "matches no case" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--repeat", "0"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        main(["bench", "--repeat", "x"])


def test_console_script_installed():
    exe = shutil.which("fastnet")
    cmd = [exe] if exe else [sys.executable, "-m", "fastnet.cli"]
    result = subprocess.run([*cmd, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"fastnet {fastnet.__version__}"


def test_demo_runs_the_quick_table(capsys, monkeypatch):
    from fastnet import bench

    seen = {}

    def fake_run(pattern, quick, repeat):
        seen.update(pattern=pattern, quick=quick, repeat=repeat)
        return []

    monkeypatch.setattr(bench, "run", fake_run)
    assert main(["demo"]) == 0
    assert seen == {"pattern": None, "quick": True, "repeat": 5}
    assert main(["demo", "--full"]) == 0 and seen["quick"] is False
