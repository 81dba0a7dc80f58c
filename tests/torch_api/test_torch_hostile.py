"""Hostile input to the torch front found by the fuzz suite (issue 16):
``softent.torch.information_plane`` of something that is no history, or of records
without the entries it reads, is refused in the project's form naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import softent.torch as stt

# ----------------------------------------------------------------------------- information plane


@pytest.mark.parametrize(
    ("history", "kind", "match"),
    [
        (None, TypeError, r"history must be a sequence of records"),
        ("x", TypeError, r"history must be a sequence of records"),
        ({"step": 0}, TypeError, r"history must be a sequence of records"),
        ([1, 2], TypeError, r"history\[0\] must be a record"),
        ([{"I(Z;x)": 0.1, "I(Z;y)": 0.2}], ValueError, r"history\[0\] must be a record with"),
        (
            [{"step": 0, "layer": "a", "I(Z;x)": "0.1", "I(Z;y)": 0.2}],
            TypeError,
            r"history\[0\]\['I\(Z;x\)'\] must be a number",
        ),
    ],
)
def test_information_plane_refuses_what_is_no_history(history, kind, match):
    with pytest.raises(kind, match=rf"^softent\.torch\.information_plane: {match}"):
        stt.information_plane(history)


def test_information_plane_of_records_and_label_set_names():
    rows = [
        {"step": s, "layer": "a", "I(Z;x)": 0.1 * s, "I(Z;y)": 0.2 * s, "H": 1.0} for s in range(3)
    ] + [{"step": 9, "layer": "a", "H": 1.0}]  # a record without both columns: skipped
    plane = stt.information_plane(iter(rows))["a"]  # any iterable of records
    np.testing.assert_array_equal(plane.steps, [0, 1, 2])
    np.testing.assert_allclose(plane.as_array(), [[0.0, 0.0], [0.1, 0.2], [0.2, 0.4]])
    assert stt.information_plane([]) == {}
    with pytest.raises(TypeError, match=r"information_plane: x must be a label set name"):
        stt.information_plane(rows, x=3)
