"""The package version, read from the compiled module (which CMake stamps with the project
version), so that any module can name it without importing the package face."""

from __future__ import annotations

from ._core import build_info as _build_info

__version__: str = str(_build_info()["version"])
