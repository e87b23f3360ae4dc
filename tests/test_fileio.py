import pytest

from brian2_lnp.fileio import atomic_write


def test_atomic_write_leaves_old_file_on_error(tmp_path):
    path = tmp_path / "state.json"
    atomic_write(path, lambda fh: fh.write("old"))

    def broken(fh):
        fh.write("half")
        raise KeyboardInterrupt  # an interruption in the middle of writing

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, broken)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
