"""printyard quote calibrate and quote estimate: the instant-quote estimator
fitted to CuraEngine, as the shop's operator runs it.

The binary is $PRINTYARD_BIN (tests/harness.py); no server is needed.  CuraEngine
is a test dependency (scripts/deps installs cura-engine) and its printer
definitions come from scripts/cura-definitions, so a missing engine fails here
rather than skipping.
"""
import json
import os
import re
import shutil
import struct
import subprocess

import pytest

from harness import ROOT, default_bin

DEFINITIONS = ROOT / "var" / "cura"


@pytest.fixture(scope="module")
def definitions():
    assert shutil.which("CuraEngine"), "CuraEngine is missing: apt-get install cura-engine"
    r = subprocess.run([str(ROOT / "scripts" / "cura-definitions"), str(DEFINITIONS)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, "scripts/cura-definitions failed:\n%s%s" % (r.stdout, r.stderr)
    assert (DEFINITIONS / "definitions" / "creality_ender3.def.json").exists()
    return DEFINITIONS


def printyard(tmp_path, *args, timeout=120):
    conf = tmp_path / "printyard.conf"
    conf.write_text("")
    env = dict(os.environ, PRINTYARD_CURA_DEFINITIONS=str(DEFINITIONS), TMPDIR=str(tmp_path))
    return subprocess.run([str(default_bin()), "--config", str(conf), "quote", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def box_stl(path, x, y, z):
    """An axis-aligned box from the origin as a binary STL file."""
    v = [(x * (i & 1), y * (i >> 1 & 1), z * (i >> 2 & 1)) for i in range(8)]
    quads = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
    tris = [t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))]
    with open(path, "wb") as f:
        f.write(b"box from test_quote_calibrate".ljust(80, b"\0"))
        f.write(struct.pack("<I", len(tris)))
        for t in tris:
            f.write(struct.pack("<3f", 0, 0, 0))
            for k in t:
                f.write(struct.pack("<3f", *v[k]))
            f.write(b"\0\0")
    return path


def estimate(tmp_path, stl, *args):
    r = printyard(tmp_path, "estimate", stl, *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_quick_calibration_fits_every_material_and_reports_its_errors(tmp_path, definitions):
    out, report = tmp_path / "coefficients.json", tmp_path / "accuracy.md"
    r = printyard(tmp_path, "calibrate", "--quick", "--out", out, "--report", report,
                  timeout=280)
    assert r.returncode == 0, r.stderr[-3000:]
    coef = json.loads(out.read_text())
    assert coef["source"].startswith("CuraEngine 4.13")
    assert {"PLA", "PETG", "ABS"} <= set(coef["materials"])
    for name, fits in coef["materials"].items():
        assert [f["layer_mm"] for f in fits] == [0.2], name
        fit = fits[0]
        assert set(fit["g"]) == {"wall", "skin", "infill", "void"}
        assert set(fit["t"]) == {"wall", "skin", "infill", "ends", "layer", "void"}
        assert all(v >= 0 for v in list(fit["g"].values()) + list(fit["t"].values()))
        # most of the filament is the shell and infill the part is made of
        assert 0.5 < fit["g"]["wall"] + fit["g"]["skin"] < 3, (name, fit["g"])
        assert fit["samples"] > 6
    text = report.read_text()
    assert "CuraEngine 4.13" in text and "creality_ender3" in text
    for name in ("PLA", "PETG", "ABS"):
        pct = r" ([\d.]+) % \|"
        row = re.search(r"^\| " + name + r" \| 0\.20 \| \d+ \| (\d+) \|" + pct * 4 + "$",
                        text, re.M)
        assert row, "no error figures for %s in the report" % name
        assert int(row.group(1)) > 0
    assert re.search(r"^\| \*\*all\*\* .*\*\*[\d.]+ %\*\*", text, re.M)
    # the loader takes what calibrate wrote
    stl = box_stl(tmp_path / "cube.stl", 20, 20, 20)
    got = estimate(tmp_path, stl, "--coefficients", out, "--material", "petg")
    assert got["estimate"]["calibrated"] is True
    assert got["estimate"]["coefficients"].startswith("CuraEngine")


@pytest.mark.parametrize("coefficients", ["shipped", "built-in"])
def test_a_solid_20mm_pla_cube_weighs_about_ten_grams(tmp_path, coefficients):
    stl = box_stl(tmp_path / "cube.stl", 20, 20, 20)
    path = ROOT / "data" / "quote-coefficients.json" if coefficients == "shipped" \
        else tmp_path / "none.json"
    got = estimate(tmp_path, stl, "--material", "PLA", "--layer", "0.2", "--infill", "100",
                   "--coefficients", path)
    assert got["mesh"]["watertight"] is True
    assert got["mesh"]["volume_mm3"] == pytest.approx(8000)
    # 8 cm3 at 1.24 g/cm3
    assert got["estimate"]["grams"] == pytest.approx(9.92, rel=0.15)
    assert got["estimate"]["layers"] == 100
    assert 20 < got["estimate"]["minutes"] < 120
    assert got["estimate"]["calibrated"] is (coefficients == "shipped")


def test_shipped_coefficients_agree_with_the_slicer_on_an_unseen_part(tmp_path, definitions):
    # neither this box nor 25 % infill is in the calibration set
    stl = box_stl(tmp_path / "part.stl", 35, 25, 18)
    got = estimate(tmp_path, stl, "--material", "PETG", "--layer", "0.2", "--infill", "25",
                   "--coefficients", ROOT / "data" / "quote-coefficients.json", "--slice")
    est, sliced = got["estimate"], got["slicer"]
    assert sliced["engine"].startswith("4.13")
    assert est["grams"] == pytest.approx(sliced["grams"], rel=0.10)
    assert est["minutes"] == pytest.approx(sliced["minutes"], rel=0.15)


def test_estimate_refuses_what_it_cannot_use(tmp_path):
    stl = box_stl(tmp_path / "cube.stl", 10, 10, 10)
    r = printyard(tmp_path, "estimate", stl, "--layer", "thick")
    assert r.returncode == 1 and "--layer wants a number" in r.stderr
    r = printyard(tmp_path, "estimate", stl, "--infill", "150")
    assert r.returncode == 1 and "--infill 0 to 100" in r.stderr
    (tmp_path / "bad.json").write_text("{\"materials\": 5}")
    r = printyard(tmp_path, "estimate", stl, "--coefficients", tmp_path / "bad.json")
    assert r.returncode == 1 and "bad.json" in r.stderr and "\"materials\"" in r.stderr
    (tmp_path / "junk.stl").write_bytes(b"not a mesh")
    r = printyard(tmp_path, "estimate", tmp_path / "junk.stl")
    assert r.returncode == 1 and "junk.stl" in r.stderr
