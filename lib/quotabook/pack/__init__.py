"""Report packs: every themed notebook for every region, executed, rendered and indexed.

``build_pack`` is the whole pipeline (plan → execute in a process pool → HTML → PDF → index and
manifest); ``quotabook pack`` is a thin CLI over it. Notebooks call :func:`record` to put headline
figures and alerts on the pack index. Importing this package is cheap (papermill, nbconvert and
playwright load only when a pack is built), because kernels import it for ``record``.
"""

from ..headlines import RECORD_MIME, record
from .build import PackResult, build_pack
from .plan import DISTRICT, PACK_PARAMETERS, make_plan, slugify

__all__ = ["DISTRICT", "PACK_PARAMETERS", "RECORD_MIME", "PackResult", "build_pack", "make_plan", "record", "slugify"]
