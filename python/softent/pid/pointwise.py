"""``softent.pid.pointwise``: SxPID's atoms at each outcome, streamed in chunks of rows.

The per-outcome (local) atoms of a pmf with K outcomes take K x L floats per part (L =
7579 nodes at n = 5: 2 GB for 35,000 outcomes, three parts). :func:`pointwise` yields them
as :class:`LocalAtoms` chunks of at most ``chunk`` rows, each computed by the kernel for
that row range alone, so memory stays bounded by the chunk whatever K. The chunks come in
the pmf's row order (sorted outcomes) and together equal
``decompose(..., pointwise=True).per_outcome``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from .._checks import check_base, check_int, check_threads
from . import sx
from .decompose import _local, as_pmf, outcome_keys, parse_measure_device
from .lattice import lattice
from .result import LocalAtoms

_API = "pid.pointwise"
#: bytes of float64 arrays one chunk may hold (kernel outputs, their difference, three
#: parts of atoms and the sparse product's temporaries: ~8 arrays of rows x L)
CHUNK_BYTES = 64 << 20


def default_chunk(nodes: int) -> int:
    """Rows per chunk for a lattice of ``nodes`` nodes: about :data:`CHUNK_BYTES` of
    temporaries (138 rows at n = 5, 6316 at n = 4)."""
    return max(1, CHUNK_BYTES // (64 * nodes))


def pointwise(
    sources: Any,
    target: Any = None,
    *,
    chunk: int | None = None,
    base: float = math.e,
    num_threads: int | None = None,
    device: Any = "cpu",
) -> Iterator[LocalAtoms]:
    """SxPID's local atoms at each outcome of samples or a pmf, in chunks of rows.

    ``sources``/``target``: as :func:`softent.pid.decompose` (a list of n code arrays [N]
    or [N, m] with ``target`` [N], or a pmf with ``target`` None). ``chunk``: rows per
    chunk (None: about 64 MB of temporaries, :func:`default_chunk`). ``base``: the unit (e:
    nats, 2: bits). ``num_threads``: CPU threads of the kernel. ``device``: ``"cpu"`` or a
    CUDA device for the kernel (results come back to the host).

    Returns an iterator of :class:`LocalAtoms`: ``keys`` [rows, n + 1] the outcomes (their
    values), ``probs`` [rows] p(s, t), ``atoms``/``informative``/``misinformative`` [rows,
    L] in units of ``base``, nodes in ``lattice(n).nodes`` order (Makkeh, Gutknecht &
    Wibral 2021: π⁺ and π⁻ are the Möbius inverses of i⁺ = -log P(𝔞), i⁻ = -log P(𝔞 | t)).
    Arguments are checked and the pmf built when called; the rows are computed as the
    iterator is consumed, one chunk in memory at a time.
    """
    api = _API
    b = check_base(api, base)
    nt = check_threads(api, num_threads)
    dev = parse_measure_device(api, "sx", device)
    pmf = as_pmf(sources, target, api=api)
    lat = lattice(pmf.n_sources)
    rows = default_chunk(len(lat)) if chunk is None else check_int(api, "chunk", chunk, lo=1)
    pmf.subset_masses(nt or None)  # once, before the first chunk (cached on the pmf)
    scale = 1.0 / math.log(b)

    def chunks() -> Iterator[LocalAtoms]:
        for lo in range(0, len(pmf), rows):
            hi = min(lo + rows, len(pmf))
            red = sx.local(pmf, lat, lo, hi, num_threads=nt, device=dev)
            yield _local(outcome_keys(pmf, lo, hi), pmf.probs[lo:hi].copy(), red, lat, scale)

    return chunks()
