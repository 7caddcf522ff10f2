"""The pack's papermill engine writes the executed notebook once, at its end, however it ends: the same file
papermill's own engine leaves after writing it before and after every cell."""

from __future__ import annotations

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from quotabook.pack import notebook_engine


def _notebook(path, *cells: str):
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def writes(monkeypatch) -> list[str]:
    """Each write of the executed notebook by the engine's execution manager (papermill.engines.write_ipynb)."""
    import papermill.engines

    seen: list[str] = []
    real = papermill.engines.write_ipynb
    monkeypatch.setattr(papermill.engines, "write_ipynb", lambda nb, path: seen.append(str(path)) or real(nb, path))
    return seen


def _outputs(nb) -> list[str]:
    return ["".join(o.get("text", "")) for cell in nb.cells for o in cell.get("outputs", ())]


@pytest.mark.slow
def test_the_executed_notebook_is_written_once_and_equals_what_papermill_writes(tmp_path, writes):
    source = _notebook(tmp_path / "in.ipynb", "print(1 + 1)", "x = [i * i for i in range(4)]", "print(x)")
    papermill.execute_notebook(str(source), str(tmp_path / "theirs.ipynb"), progress_bar=False)
    assert len(writes) > 6  # papermill's engine: at the start, before and after each of the three cells, ...
    writes.clear()
    papermill.execute_notebook(str(source), str(tmp_path / "ours.ipynb"), progress_bar=False,
                               engine_name=notebook_engine.NAME)
    assert writes == [str(tmp_path / "ours.ipynb")]  # once, when the notebook completed
    ours, theirs = (nbformat.read(tmp_path / f"{name}.ipynb", as_version=4) for name in ("ours", "theirs"))
    assert _outputs(ours) == _outputs(theirs) == ["2\n", "[0, 1, 4, 9]\n"]
    assert [c.metadata.papermill["status"] for c in ours.cells] == ["completed"] * 3


@pytest.mark.slow
def test_a_notebook_whose_kernel_dies_is_still_written_as_papermill_writes_it(tmp_path, writes):
    from nbclient.exceptions import DeadKernelError

    source = _notebook(tmp_path / "in.ipynb", "print('before')",
                       "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "print('never')")
    for name, engine in (("theirs", None), ("ours", notebook_engine.NAME)):
        writes.clear()
        with pytest.raises(DeadKernelError):
            papermill.execute_notebook(str(source), str(tmp_path / f"{name}.ipynb"), progress_bar=False,
                                       engine_name=engine)
    assert writes == [str(tmp_path / "ours.ipynb")]  # written once, from papermill's own `finally`
    ours, theirs = (nbformat.read(tmp_path / f"{name}.ipynb", as_version=4) for name in ("ours", "theirs"))
    assert _outputs(ours) == _outputs(theirs) == ["before\n"]  # what ran before the kernel died, nothing after
    status = [[c.metadata.papermill["status"] for c in nb.cells] for nb in (ours, theirs)]
    assert status[0] == status[1]
    # The killed cell's execution count is a race in either engine (the kernel may announce the cell before it
    # dies, or not); the cells around it are not.
    assert [c.execution_count for i, c in enumerate(ours.cells) if i != 1] == [
        c.execution_count for i, c in enumerate(theirs.cells) if i != 1]
