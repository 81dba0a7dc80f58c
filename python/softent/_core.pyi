"""Type stub for the compiled module softent._core (cpp/bindings/).

Structs are bound field by field; pointer fields are integer addresses (0 = none), enum
fields integer codes. They are filled only by python/softent/_kernel.py. Field meanings,
shapes and memory spaces: cpp/include/softent/types.h and cpp/include/softent/params/soft.h
(soft family), cpp/include/softent/params/discrete.h (counting: filled by
python/softent/discrete/_kernel.py), cpp/include/softent/params/knn.h (nearest neighbours:
filled by python/softent/knn/_kernel.py)."""

class View2D:
    data: int
    rows: int
    cols: int
    stride_row: int
    stride_col: int
    dtype: int
    device: int
    def __init__(self) -> None: ...

class SoftHistParams:
    z: View2D
    centres: View2D
    centre_sq: int
    origin: int
    slots: int
    n_sets: int
    hist: int
    hist_rows: int
    replicates: int
    replicate_seed: int
    row_offset: int
    replicate_offset: int
    dots_out: int
    metric: int
    inv_temperature: float
    num_threads: int
    tile_rows: int
    stream: int
    perm_codes: int
    perm_code_bytes: int
    perm_sets: int
    permutations: int
    perm_internal: int
    perm_first_row: int
    perm_block: int
    perm_internal_stride: int
    def __init__(self) -> None: ...

class PermuteLabelsParams:
    codes: int
    n: int
    out: int
    code_bytes: int
    permutations: int
    first_permutation: int
    seed: int
    row_offset: int
    set_key: int
    skip_code: int
    num_threads: int
    def __init__(self) -> None: ...

class SoftHistGradParams:
    fwd: SoftHistParams
    grad_hist: int
    dots: int
    grad_z: int
    grad_centres: int
    grad_centre_sq: int
    grad_inv_temperature: int
    def __init__(self) -> None: ...

class CodesView:
    data: int
    rows: int
    cols: int
    stride_row: int
    stride_col: int
    dtype: int
    device: int
    def __init__(self) -> None: ...

class EncodeRowsParams:
    x: CodesView
    radix: int
    out: int
    num_threads: int
    stream: int
    def __init__(self) -> None: ...

class CountParams:
    x: CodesView
    y: CodesView
    kx: int
    ky: int
    weights: int
    table: int
    counts_x: int
    counts_y: int
    num_threads: int
    stream: int
    def __init__(self) -> None: ...

class SparseCountParams:
    x: CodesView
    y: CodesView
    kx: int
    ky: int
    weights: int
    keys: int
    values: int
    counts_x: int
    counts_y: int
    num_threads: int
    stream: int
    def __init__(self) -> None: ...

class PairTablesParams:
    x: CodesView
    y: CodesView
    pairs: int
    sizes_x: int
    sizes_y: int
    n_pairs: int
    ka: int
    kb: int
    weights: int
    tables: int
    num_threads: int
    stream: int
    def __init__(self) -> None: ...

# ---- nearest neighbours (params/knn.h) ----
class KnnSpace:
    x: View2D
    rows: int
    n_rows: int
    metric: int
    n_blocks: int
    block_ends: list
    def __init__(self) -> None: ...

class KnnParams:
    space: KnnSpace
    k: int
    distances: int
    indices: int
    block_distances: int
    num_threads: int
    tile_rows: int
    stream: int
    def __init__(self) -> None: ...

class RadiusCountParams:
    space: KnnSpace
    radii: int
    groups: int
    strict: bool
    include_self: bool
    counts: int
    num_threads: int
    tile_rows: int
    stream: int
    def __init__(self) -> None: ...

class KnnGroupCountParams:
    space: KnnSpace
    groups: int
    k: int
    overall: int
    radii: int
    counts: int
    num_threads: int
    tile_rows: int
    stream: int
    def __init__(self) -> None: ...

class Sorted1dParams:
    x: View2D
    y: View2D
    groups: int
    k: int
    kth: int
    radii: int
    counts: int
    num_threads: int
    stream: int
    def __init__(self) -> None: ...

def knn(params: KnnParams) -> int: ...
def radius_count(params: RadiusCountParams) -> None: ...
def knn_group_count(params: KnnGroupCountParams) -> int: ...
def sorted_1d(params: Sorted1dParams) -> None: ...

# ---- (end of nearest neighbours) ----

# ---- pid (cpp/include/softent/params/pid.h; filled by python/softent/pid/_kernel.py) ----
class PidMassesParams:
    codes: int
    probs: int
    sizes: int
    rows: int
    cols: int
    masses: int
    entropies: int
    num_threads: int
    def __init__(self) -> None: ...

class SxLocalParams:
    codes: int
    probs: int
    masses: int
    upsets: int
    rows: int
    nodes: int
    n_sources: int
    n_targets: int
    lo: int
    hi: int
    per_target: bool
    sum_plus: int
    sum_minus: int
    local_plus: int
    local_minus: int
    device: int
    num_threads: int
    stream: int
    def __init__(self) -> None: ...

def pid_masses(params: PidMassesParams) -> None: ...
def sx_local(params: SxLocalParams) -> None: ...

# ---- end pid ----
# ---- spectral affinities (cpp/include/softent/params/spectral.h) ----------------------------

class AffinityParams:
    x: View2D
    kernel: int  # 0 gaussian, 1 self_tuning
    sigma: float
    scales: int
    prefactor: float
    row_scale: int
    output: int  # 0 degrees, 1 dense, 2 product, 3 dense32
    out: int
    v: int
    m: int
    num_threads: int
    tile_rows: int
    stream: int
    def __init__(self) -> None: ...

def affinity(params: AffinityParams) -> None: ...

class SymmetricEigenvaluesParams:
    a: int
    n: int
    w: int
    num_threads: int
    def __init__(self) -> None: ...

def symmetric_eigenvalues(params: SymmetricEigenvaluesParams) -> None: ...

# ---- end spectral ----
def build_info() -> dict[str, object]: ...
def soft_histogram(params: SoftHistParams) -> int: ...
def soft_histogram_backward(params: SoftHistGradParams) -> None: ...
def permute_labels(params: PermuteLabelsParams) -> None: ...
def encode_rows(params: EncodeRowsParams) -> int: ...
def count_dense(params: CountParams) -> None: ...
def count_sparse(params: SparseCountParams) -> int: ...
def pair_tables(params: PairTablesParams) -> None: ...
