"""Type stub for the compiled module softent._core (cpp/bindings/module.cpp)."""

def build_info() -> dict[str, object]: ...
def soft_histogram(
    z: int,
    n: int,
    d: int,
    z_stride_row: int,
    z_stride_col: int,
    dtype: int,
    centres: int,
    centre_sq: int,
    b: int,
    slots: int,
    n_sets: int,
    hist: int,
    hist_rows: int,
    metric: int,
    inv_temperature: float,
    num_threads: int,
    tile_rows: int,
    device: int,
    stream: int,
) -> int: ...
