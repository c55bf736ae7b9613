import pathlib
import shutil
import subprocess
import sys

import numpy as np
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


def test_bench_json(capsys):
    import json

    assert main(["bench", "--quick", "--filter", "onehot", "--repeat", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["machine"]["cpu_count"] >= 1
    assert [(r["case"], r["dtype"]) for r in report["rows"]] == [("onehot", "float64"),
                                                                  ("onehot", "float32")]
    assert all(r["speedup"] == r["reference"] / r["fast"] for r in report["rows"])


def _assert_png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def test_study_gmm_vs_kmeans_writes_csv_and_png(tmp_path, capsys):
    import pandas as pd

    from fastnet.studies import gmm_vs_kmeans

    assert main(["study", "gmm-vs-kmeans", "--n-sims", "4", "--seed", "3", "--out",
                 str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "4 simulations" in out and "GMM better in" in out
    table = pd.read_csv(tmp_path / "gmm_vs_kmeans.csv")
    expected = gmm_vs_kmeans(n_sims=4, seed=3)
    assert list(table.columns) == list(expected.columns)
    assert np.allclose(table["difference"], expected["difference"], rtol=1e-12, atol=0)
    _assert_png(tmp_path / "gmm_vs_kmeans.png")


def test_study_signal_flow_sweep_and_checkpoint(tmp_path, capsys):
    import pandas as pd

    args = ["study", "signal-flow", "--n-blocks", "3", "4", "--block-size", "30",
            "--checkpoint", str(tmp_path / "rows.jsonl"), "--out", str(tmp_path)]
    assert main(args) == 0
    assert "3 blocks x 30 nodes" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "signal_flow.csv")
    assert sorted(set(table["n_blocks"])) == [3, 4] and len(table) == 3 + 4
    assert len((tmp_path / "rows.jsonl").read_text().splitlines()) == 2
    _assert_png(tmp_path / "signal_flow.png")
    assert main(args) == 0  # resumed from the checkpoint: the same table
    assert pd.read_csv(tmp_path / "signal_flow.csv").equals(table)


def test_study_bad_arguments(tmp_path, capsys, monkeypatch):
    with pytest.raises(SystemExit):  # a signal-flow option is not one of this study's
        main(["study", "gmm-vs-kmeans", "--n-blocks", "3", "--out", str(tmp_path)])
    assert "unrecognized arguments: --n-blocks" in capsys.readouterr().err
    assert main(["study", "gmm-vs-kmeans", "--n-jobs", "0", "--out", str(tmp_path)]) == 2
    assert "n_jobs must be an int >= 1" in capsys.readouterr().err
    assert main(["study", "signal-flow", "--low-p", "1.5", "--out", str(tmp_path)]) == 2
    assert "low_p" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["study", "nope", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        main(["study"])  # a study must be named
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_study_defaults_are_the_functions_defaults():
    import inspect

    from fastnet import cli
    from fastnet.studies import gmm_vs_kmeans, signal_flow_separation

    for function, shown in ((gmm_vs_kmeans, cli.GMM_VS_KMEANS_DEFAULTS),
                            (signal_flow_separation, cli.SIGNAL_FLOW_DEFAULTS)):
        signature = inspect.signature(function).parameters
        for name, value in shown.items():
            default = signature[name].default
            assert (list(default) if isinstance(default, tuple) else default) == value, name
    parsed = cli.build_parser().parse_args(["study", "signal-flow"])
    assert (parsed.n_blocks, parsed.block_size, parsed.out) == ([5], [50], "fastnet-study")


def test_study_help_shows_each_studys_options_and_defaults(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per option
    with pytest.raises(SystemExit):
        main(["study", "gmm-vs-kmeans", "--help"])
    text = capsys.readouterr().out
    assert "--n-samples N" in text and "(default: 8888)" in text and "--low-p" not in text
    with pytest.raises(SystemExit):
        main(["study", "signal-flow", "--help"])
    text = capsys.readouterr().out
    assert "--low-p" in text and "(default: 0.05)" in text and "--n-samples" not in text
    assert "(default: fastnet-study)" in text and "(default: None)" not in text


def test_study_out_defaults_to_a_folder_in_the_working_directory(tmp_path, monkeypatch,
                                                                 capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["study", "signal-flow", "--block-size", "20", "--n-blocks", "3"]) == 0
    assert "an AUC" in capsys.readouterr().out
    assert (tmp_path / "fastnet-study" / "signal_flow.csv").exists()


def test_demo_quick_writes_its_figures(tmp_path, capsys, monkeypatch):
    from fastnet import plot

    titles, save = {}, plot.save

    def save_and_record(ax, path, **kwargs):
        titles[pathlib.Path(path).name] = ax.get_title()
        return save(ax, path, **kwargs)

    monkeypatch.setattr(plot, "save", save_and_record)
    assert main(["demo", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for step in ("[1/4] MLP", "[2/4] NMF", "[3/4] GMM", "[4/4] feedforward SBM"):
        assert step in out
    assert out.count("reference") >= 5 and "done in" in out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["feedforward_adjacency.png", "gmm_vs_kmeans.png",
                     "mlp_learning_curves.png", "signal_flow_by_block.png"]
    for name in names:
        _assert_png(tmp_path / name)
    # every figure says what it shows, the small adjacency that it is not the big graph
    assert sorted(titles) == names and all(titles.values())
    assert "too large to draw" in titles["feedforward_adjacency.png"]
