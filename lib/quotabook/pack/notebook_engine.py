"""The papermill engine of the pack: papermill's nbclient engine, writing the executed notebook once, at its end.

papermill writes the whole notebook to its output path before and after every cell (and every 30 s of output),
so that a reader can watch it fill. A pack's output path is a temporary file no one watches, and each write
JSON-encodes the whole notebook, every SVG chart so far included: on the demo pack that was ~2 s of CPU per run
(116 writes for two notebooks), as much as the cells of a light notebook. This engine writes it once, when
the notebook ends however it ends (done, a cell error, a dead kernel, a time limit, Ctrl-C): papermill's
``notebook_complete``, from the same ``finally`` as before. The executed notebook is the same file.
"""

from __future__ import annotations

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

__all__ = ["NAME", "SaveAtEnd", "WriteOnceEngine"]

#: The name the engine is registered under (``papermill.execute_notebook(..., engine_name=NAME)``).
NAME = "quotabook"


class SaveAtEnd(NotebookExecutionManager):
    """papermill's execution manager, saving only when the notebook completes."""

    _complete = False

    def save(self, **kwargs) -> None:
        if self._complete:
            super().save(**kwargs)

    def notebook_complete(self, **kwargs) -> None:
        self._complete = True
        super().notebook_complete(**kwargs)


class WriteOnceEngine(NBClientEngine):
    """papermill's nbclient engine with :class:`SaveAtEnd` (``Engine.execute_notebook``, manager swapped)."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, **kwargs):
        nb_man = SaveAtEnd(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                           autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb


papermill_engines.register(NAME, WriteOnceEngine)
