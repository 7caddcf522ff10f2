"""A synthetic but realistic sales district to run every notebook against: ``generate`` and ``write``.

The district (North America: four regions, sixteen territories, one AE each) covers eight fiscal
quarters up to a snapshot in the middle of the last one. Deals move through the workbook's stage map
with segment-specific time in stage, close dates slip, amounts get re-scoped, forecast categories move
Pipeline -> Best Case -> Commit -> Closed; reps differ in win rate (18-38%) and prospecting efficiency
(InsightSquared); leads convert at the benchmark rates; targets and activity goals are set from track records.
Everything is vectorised with numpy and seeded, so one seed always gives the same tables.

For an organisation of any size, :func:`quotabook.demo.scale.write_scaled` (``quotabook demo --scale N``)
streams ``ceil(N / 16)`` such districts, each with its own derived seed and relabelled to unique names and
ids, to Parquet.

>>> from quotabook import demo
>>> tables = demo.generate(seed=7)
>>> demo.write(tables, "data/demo")                          # doctest: +SKIP
>>> demo.write(tables, "data/demo-csv", formats=("csv",))   # doctest: +SKIP
"""

from .build import generate
from .output import write

__all__ = ["generate", "write"]
