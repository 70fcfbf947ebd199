"""The mutant list of `make mutants` (tools/mutants.toml) stays valid as lectures_lib changes.

Every mutant must apply (its text found exactly once), name test files and functions that exist,
and change something; tools/mutants.py refuses to run otherwise, and this test says so early.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("mutants_tool", ROOT / "tools" / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_mutant_applies_and_names_existing_tests(tool):
    mutants = tool.load()
    assert len(mutants) >= 40
    assert {m.file.split("/")[1] for m in mutants} >= {"symbolic"}  # symbolic and numeric formulas
    assert any(m.file.count("/") == 1 for m in mutants)
    for m in mutants:
        assert m.file.startswith("lectures_lib/") and all(t.startswith("tests/") for t in m.tests), m.id


def test_a_mutant_that_does_not_apply_is_an_error(tool, tmp_path):
    bad = tmp_path / "mutants.toml"
    bad.write_text('[[mutant]]\nid = "x"\nkind = "sign"\nfile = "lectures_lib/gumbel.py"\n'
                   'old = "this text is not in the file"\nnew = "y"\ntests = ["tests/test_gumbel.py"]\n')
    with pytest.raises(ValueError, match="occurs 0 times"):
        tool.load(bad)
    bad.write_text('[[mutant]]\nid = "x"\nkind = "sign"\nfile = "lectures_lib/gumbel.py"\n'
                   'old = "return e / e.sum(axis=axis, keepdims=True)"\nnew = "return e"\n'
                   'tests = ["tests/test_gumbel.py::test_no_such_test"]\n')
    with pytest.raises(ValueError, match="does not exist"):
        tool.load(bad)
