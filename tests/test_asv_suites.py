"""The asv suites in ``benchmarks/`` mirror the comparison table one to one (issue 21):
one class per case whose parameters are only what the case has, a time-ratio track
per case, and a dashboard (``asv publish``) that lists every case and holds a measurement
in every cell of a case that ran."""

import functools
import http.server
import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from fastnet import bench

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def suites():
    """benchmarks/bench_cases.py, loaded once (building its classes lists every case's
    peers, which imports their libraries)."""
    spec = importlib.util.spec_from_file_location("bench_cases", ROOT / "benchmarks" /
                                                  "bench_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _class_name(case_name):
    return "".join(part.capitalize() for part in case_name.split("_"))


def test_one_suite_per_case_with_only_its_own_parameters(suites):
    expected = set()
    for case in bench.CASES:
        name = _class_name(case.name)
        expected |= {name, f"{name}Ratio"}
        timed, ratio = getattr(suites, name), getattr(suites, f"{name}Ratio")
        impls = ["fastnet", "reference", *case.peers(), *case.baselines()]
        assert timed.params == (sorted(set(case.sizes)), list(case.dtypes), impls)
        assert ratio.params == (sorted(set(case.sizes)), list(case.dtypes),
                                ["reference", *case.peers()])
        assert timed.case is case and ratio.case is case
        large = case.name.startswith(("mlp_", "dropin_mlp_", "sbm_", "signal_flow_"))
        assert hasattr(timed, "peakmem_call") == large, case.name
    assert set(suites.SUITES) == expected


def test_every_parameter_combination_runs(suites):
    """No cell of a suite can be n/a: each combination sets up and times its own
    implementation (at the quick size, for cases cheap enough to run here: a peer whose
    label is a dotted name, and one with no peers)."""
    for name in ("Softmax", "Onehot", "OnehotRatio"):
        suite = getattr(suites, name)
        for params in itertools.product(*suite.params):
            if params[0] != min(suite.params[0]):
                continue
            instance = suite()
            instance.setup(*params)
            method = next(getattr(instance, m) for m in dir(instance)
                          if m.startswith(("time_", "track_")))
            result = method(*params)
            if name.endswith("Ratio"):
                assert result > 0.0


#: the case the dashboard tests run: one dtype, no peers, so asv starts few processes
RAN_CASE = "WithinClusterDistance"
RAN = rf"bench_cases\.{RAN_CASE}"


def _asv():
    return shutil.which("asv", path=os.path.dirname(sys.executable)) or shutil.which("asv")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """``asv run --python=same --set-commit-hash`` on one small case (:data:`RAN_CASE`),
    then ``asv publish``; returns the html folder."""
    if _asv() is None:
        pytest.skip("asv is not installed")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True)
    if commit.returncode != 0:
        pytest.skip("not a git checkout: asv keeps results for a commit")
    tmp_path = tmp_path_factory.mktemp("asv")
    config = json.loads((ROOT / "asv.conf.json").read_text())
    config.update(repo=str(ROOT), benchmark_dir=str(ROOT / "benchmarks"),
                  results_dir=str(tmp_path / "results"), html_dir=str(tmp_path / "html"),
                  env_dir=str(tmp_path / "env"))
    conf = tmp_path / "asv.conf.json"
    conf.write_text(json.dumps(config))
    base = [_asv(), "--config", str(conf)]
    env = {**os.environ, "FASTNET_COMPILE_NOTICE": "0"}
    subprocess.run([*base, "machine", "--yes", "--machine", "test"], check=True,
                   capture_output=True, env=env)
    run = subprocess.run([*base, "run", "--python=same", "--quick", "--machine", "test",
                          "--set-commit-hash", commit.stdout.strip(),
                          "-b", RAN], capture_output=True, text=True,
                         env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    subprocess.run([*base, "publish"], check=True, capture_output=True, env=env)
    return tmp_path / "html"


def test_published_dashboard_lists_every_case(published):
    """index.json lists both benchmarks of every case of the table, and the graphs of
    the case that ran hold a number in every cell."""
    index = json.loads((published / "index.json").read_text())
    for case in bench.CASES:
        name = _class_name(case.name)
        assert f"bench_cases.{name}.time_call" in index["benchmarks"], case.name
        assert f"bench_cases.{name}Ratio.track_time_ratio" in index["benchmarks"]
    graphs = [g for g in (published / "graphs").rglob(f"bench_cases.{RAN_CASE}*.json")
              if "summary" not in g.parts]
    assert len(graphs) == 2
    for graph in graphs:
        points = json.loads(graph.read_text())
        assert points, graph
        for _, values in points:
            cells = values if isinstance(values, list) else [values]
            assert cells and all(v is not None and v > 0 for v in cells), graph.name


#: The scripts and styles asv's dashboard loads from CDNs, by the npm package and file
#: that hold the same version: the test serves them locally, as CI runs offline.
CDN_FILES = {
    "code.jquery.com/jquery-3.3.1.min.js": ("jquery@3.3.1", "dist/jquery.min.js"),
    "flot/0.8.3/jquery.flot.min.js": ("flot@0.8.3", "jquery.flot.js"),
    "flot/0.8.3/jquery.flot.time.min.js": ("flot@0.8.3", "jquery.flot.time.js"),
    "flot/0.8.3/jquery.flot.selection.min.js": ("flot@0.8.3", "jquery.flot.selection.js"),
    "flot/0.8.3/jquery.flot.categories.min.js": ("flot@0.8.3",
                                                 "jquery.flot.categories.js"),
    "flot-orderbars@1.0.0/js/jquery.flot.orderBars.js": ("flot-orderbars@1.0.0",
                                                         "js/jquery.flot.orderBars.js"),
    "stupidtable/1.0.1/stupidtable.min.js": ("stupid-table-plugin@1.1.3",
                                             "stupidtable.min.js"),
    "blueimp-md5/2.19.0/js/md5.min.js": ("blueimp-md5@2.19.0", "js/md5.min.js"),
    "bootstrap@3.1.1/dist/js/bootstrap.min.js": ("bootstrap@3.1.1",
                                                 "dist/js/bootstrap.min.js"),
    "bootstrap@3.1.1/dist/css/bootstrap.min.css": ("bootstrap@3.1.1",
                                                   "dist/css/bootstrap.min.css"),
}


def _vendor_cdn_files(html_dir: Path, cache: Path) -> None:
    """Rewrites the dashboard's CDN links to local copies unpacked from npm."""
    index = html_dir / "index.html"
    text = index.read_text()
    for url in re.findall(r'(?:src|href)="(https://[^"]+\.(?:js|css))"', text):
        key = next((k for k in CDN_FILES if url.endswith(k)), None)
        assert key is not None, f"asv's dashboard loads {url}: add it to CDN_FILES"
        package, member = CDN_FILES[key]
        unpacked = cache / package
        if not unpacked.exists():
            cache.mkdir(parents=True, exist_ok=True)
            packed = subprocess.run(["npm", "pack", package, "--pack-destination",
                                     str(cache)], capture_output=True, text=True)
            if packed.returncode != 0:
                pytest.skip(f"npm cannot fetch {package}: {packed.stderr[-200:]}")
            tarball = cache / packed.stdout.strip().splitlines()[-1]
            with tarfile.open(tarball) as archive:
                archive.extractall(unpacked, filter="data")
        local = f"vendor/{package}/{member}"
        (html_dir / local).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(unpacked / "package" / member, html_dir / local)
        text = text.replace(url, local)
    # the CDN copies are minified and pinned by subresource-integrity hashes; npm ships
    # some of them unminified, so the local copies carry no hash
    text = re.sub(r'\s(?:integrity|crossorigin)="[^"]*"', "", text)
    index.write_text(text)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium to render with")
@pytest.mark.skipif(shutil.which("npm") is None, reason="no npm for asv's scripts")
def test_dashboard_page_renders_in_a_headless_browser(published, tmp_path):
    """A benchmark's page of the published dashboard, served over HTTP and opened in
    headless Chromium: the script draws its graph (flot's canvas is in the page, asv's
    error message is not) and the screenshot is not blank."""
    html = tmp_path / "html"
    shutil.copytree(published, html)
    _vendor_cdn_files(html, tmp_path.parent / "npm-cache")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_port
        url = f"http://127.0.0.1:{port}/#bench_cases.{RAN_CASE}.time_call"
        browser = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                   "--hide-scrollbars", "--window-size=1280,900",
                   "--virtual-time-budget=10000"]
        dom = subprocess.run([*browser, "--dump-dom", url], capture_output=True,
                             text=True, timeout=120).stdout
        shot = tmp_path / "page.png"
        subprocess.run([*browser, f"--screenshot={shot}", url], capture_output=True,
                       timeout=120, check=True)
    finally:
        server.shutdown()
    assert "continental origin of swallow" not in dom  # asv's page when scripts fail
    assert "flot-base" in dom and RAN_CASE in dom
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    saturation = pixels.max(axis=-1) - pixels.min(axis=-1)
    assert pixels.std() > 0.05  # not a blank page
    assert (saturation > 0.3).mean() > 1e-4  # coloured points and legend, not text alone
