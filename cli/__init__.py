"""cli package: the ``claimwatch`` command, the demo and replay; the top layer.

Every ``claimwatch`` process works one article at a time and scales out by processes (a
worker's pool, replay's read-ahead, the web's server processes), so the numeric libraries
get one thread each: their own thread pools (OpenBLAS starts one per core) only contend
with those processes, and cost a single worker a fifth of its throughput or more
(bench/pipeline). Set before numpy loads; an operator's own setting wins.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
