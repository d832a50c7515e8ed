"""Malformed, truncated and mismatched potential files give one clear error with file and line."""
from __future__ import annotations

from pathlib import Path

import pytest

import eam_synthetic as syn
from qcsim.errors import PotentialFileError
from qcsim.potentials import make_potential
from qcsim.potentials.eam_files import read_fs, read_funcfl, read_setfl
from qcsim.potentials.files import PACKAGE_POTENTIALS

CU_U3 = PACKAGE_POTENTIALS / "Cu_u3.eam"


def expect_error(make, path, line, match):
    with pytest.raises(PotentialFileError, match=match) as info:
        make(path)
    err = info.value
    assert err.file == str(path)
    assert err.line == line
    assert str(err).startswith(f"{path}:{line}:" if line is not None else f"{path}:")
    return err


def edited(tmp_path, source, edit, name="bad.eam"):
    """Copy ``source`` with ``edit(lines)`` applied; return the new path."""
    lines = Path(source).read_text().splitlines()
    lines = edit(lines)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def funcfl(path):
    return make_potential("eam", file=str(path))


def setfl(path, elements=("A", "B")):
    return make_potential("eam/alloy", file=str(path), elements=list(elements))


def fs(path, elements=("A", "B")):
    return make_potential("eam/fs", file=str(path), elements=list(elements))


def replace_line(k, text):
    def edit(lines):
        lines[k - 1] = text
        return lines
    return edit


def last_data_line(path):
    lines = Path(path).read_text().splitlines()
    return max(k + 1 for k, line in enumerate(lines) if line.strip())


# -- funcfl ---------------------------------------------------------------------
def test_missing_file(tmp_path):
    expect_error(funcfl, tmp_path / "nowhere.eam", None, "no such potential file")
    expect_error(read_setfl, tmp_path / "nowhere.eam.alloy", None, "no such potential file")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.eam"
    path.write_text("")
    expect_error(read_funcfl, path, None, "file ends before")


def test_grid_line_with_too_few_values(tmp_path):
    path = edited(tmp_path, CU_U3, replace_line(3, "500 5.0e-4 500 1.0e-2"))
    expect_error(funcfl, path, 3, "expected at least 5 values, found 4")


def test_non_integer_count(tmp_path):
    path = edited(tmp_path, CU_U3, replace_line(3, "500.5 5.0e-4 500 1.0e-2 4.95"))
    expect_error(funcfl, path, 3, "'500.5' is not an integer")


def test_non_numeric_mass(tmp_path):
    path = edited(tmp_path, CU_U3, replace_line(2, "29 heavy 3.615 FCC"))
    expect_error(funcfl, path, 2, "'heavy' is not a number")


def test_non_numeric_table_value(tmp_path):
    def edit(lines):
        lines[9] = lines[9].replace(lines[9].split()[2], "1.0x+00", 1)
        return lines
    path = edited(tmp_path, CU_U3, edit)
    expect_error(funcfl, path, 10, r"embedding function F\(rho\): '1.0x\+00' is not a finite")


def test_nan_in_table(tmp_path):
    def edit(lines):
        lines[250] = "nan " + " ".join(lines[250].split()[1:])
        return lines
    path = edited(tmp_path, CU_U3, edit)
    expect_error(funcfl, path, 251, r"density function rho\(r\): 'nan' is not a finite")


def test_truncated_funcfl(tmp_path):
    path = edited(tmp_path, CU_U3, lambda lines: lines[:280])
    err = expect_error(funcfl, path, 280, r"file ends inside the density function rho\(r\)")
    assert "expected 500 values" in err.message


def test_grid_too_small_and_negative_spacing(tmp_path):
    path = edited(tmp_path, CU_U3, replace_line(3, "3 5.0e-4 500 1.0e-2 4.95"))
    expect_error(funcfl, path, 3, "at least 5")
    path = edited(tmp_path, CU_U3, replace_line(3, "500 5.0e-4 500 -1.0e-2 4.95"))
    expect_error(funcfl, path, 3, "must be positive")


def test_one_file_per_element(tmp_path):
    with pytest.raises(PotentialFileError, match="1 funcfl file"):
        make_potential("eam", file=str(CU_U3), elements=["Cu", "Ni"])


# -- setfl / fs -------------------------------------------------------------------
@pytest.fixture
def alloy(tmp_path):
    return syn.write_setfl(tmp_path / "AB.eam.alloy")


@pytest.fixture
def alloy_fs(tmp_path):
    return syn.write_setfl(tmp_path / "AB.eam.fs", fs=True)


def test_element_count_mismatch(tmp_path, alloy):
    path = edited(tmp_path, alloy, replace_line(4, "3 A B"))
    expect_error(setfl, path, 4, "says 3 element.* but names 2")


def test_element_not_in_file(alloy):
    expect_error(lambda p: setfl(p, ["A", "Cu"]), alloy, 4, "Cu not in this file .it has A, B.")
    expect_error(lambda p: fs(p, ["Ni"]), alloy, 4, "Ni not in this file")


def test_truncated_setfl(tmp_path, alloy):
    n = last_data_line(alloy)
    path = edited(tmp_path, alloy, lambda lines: lines[:n - 3])
    expect_error(setfl, path, n - 3, r"file ends inside the pair function r\*phi\(r\) of B-B")


def test_setfl_read_as_fs_is_truncated(alloy):
    """A setfl file has one density per element; eam/fs wants one per element pair."""
    # line 289 (element B's header) is read as the start of rho_A,B; the table overruns at 450
    expect_error(fs, alloy, 450, r"4 value\(s\) beyond the end of the density function rho_A,B")


def test_counts_do_not_match_data(tmp_path, alloy):
    grid = f"{syn.NRHO} {syn.DRHO!r} {syn.NR - 5} {syn.DR!r} {syn.CUT!r}"
    path = edited(tmp_path, alloy, replace_line(5, grid))
    # rho(r) of A starts on line 128 (after 121 lines of F): 796 values end inside line 287
    err = expect_error(setfl, path, 287, "4 value.* beyond the end of the density function rho")
    assert "must start on a new line" in err.message


def test_extra_data_after_the_last_table(tmp_path, alloy_fs):
    n = last_data_line(alloy_fs)
    path = edited(tmp_path, alloy_fs, lambda lines: lines + ["1.0 2.0 3.0"])
    expect_error(fs, path, n + 1, "unexpected data after the last pair function")


def test_element_header_line(tmp_path, alloy):
    path = edited(tmp_path, alloy, replace_line(6, "1"))
    expect_error(setfl, path, 6, "header line of element A .* expected at least 2 values")


def test_missing_element_line(tmp_path):
    path = tmp_path / "short.eam.alloy"
    path.write_text("c1\nc2\nc3\n")
    expect_error(read_setfl, path, 3, "file ends before the element line")
    path.write_text("c1\nc2\nc3\nCu 1\n")
    expect_error(read_fs, path, 4, "'Cu' is not an integer")
