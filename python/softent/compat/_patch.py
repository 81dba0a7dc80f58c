"""In-place acceleration: replace an installed peer package's functions by softent's front
doors, so that code which imports the peer gets softent's kernels without edits.

One mechanism for every peer. A compat module declares what it replaces and exposes the
three verbs::

    _PATCH = PeerPatch(
        "compat.soft_entropy",            # the api name its errors carry
        package="soft_entropy",           # the import name of the peer
        distribution="soft-entropy",      # its pip name (in the ImportError)
        targets=[
            Target("soft_entropy.numpy", "soft_entropy", soft_entropy),
            # optional: skipped when the module cannot import (its torch backend)
            Target("soft_entropy.pytorch", "soft_entropy", pytorch_soft_entropy, optional=True),
        ],
    )

    def patch() -> None:
        # (a docstring saying what it replaces)
        _PATCH.patch()

    # and unpatch(), patched() (returns _PATCH.patched()), is_patched() the same way

A :class:`Target` names a module attribute; list every place users get the object from
(the defining module *and* each re-export, e.g. ``sklearn.feature_selection`` and
``sklearn.feature_selection._mutual_info``), because ``from pkg import f`` copies the
binding. Objects bound before ``patch()`` (``from pkg import f`` executed earlier, a
function stored in a ``SelectKBest``) keep the original: patch first.

Adding a peer (e.g. dse_dsmi): its front doors in ``softent/compat/<peer>.py`` (same
signatures, softent's kernels, a differences table in the module docstring), one
``PeerPatch`` listing every module attribute to replace, the four verbs above, a test in
``tests/compat/test_patch.py`` (the real package when importable, else a stand-in package
shaped like it in ``sys.modules``), and its ``docs/coming-from/<peer>.md`` page.

Guarantees:

- ``patch()`` is idempotent; it imports nothing before checking that the peer is installed
  (an ImportError naming the pip package otherwise) and imports the target modules with
  the peer's own import-time warnings silenced. It resolves every target before changing
  any, so a missing attribute (another peer version) changes nothing.
- ``unpatch()`` puts back the exact original objects (identity), and only where the
  attribute still holds our replacement (someone who patched on top keeps theirs).
- ``patched()`` is a context manager that restores the state it found (nesting works).
- One process-wide re-entrant lock serialises patch/unpatch: the patch is global to the
  process (every thread sees it), as any monkey-patch is.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from .._checks import fail

__all__ = ["PeerPatch", "Target"]

#: serialises every patch/unpatch of every peer (a module may be shared by two peers' targets)
_LOCK = threading.RLock()


@dataclass(frozen=True)
class Target:
    """``module.attr`` is replaced by ``replacement`` while patched. ``optional``: the
    module may fail to import (an optional dependency of the peer, e.g. its jax backend)
    and is then skipped."""

    module: str
    attr: str
    replacement: Any
    optional: bool = False


class PeerPatch:
    """The patch state of one peer package (see the module documentation)."""

    def __init__(
        self, api: str, *, package: str, distribution: str, targets: Sequence[Target]
    ) -> None:
        self.api = api
        self.package = package
        self.distribution = distribution
        self.targets = tuple(targets)
        # (module, attr, original, replacement) of each applied target; None: not patched
        self._applied: list[tuple[ModuleType, str, Any, Any]] | None = None

    def is_patched(self) -> bool:
        """True between ``patch()`` and ``unpatch()``."""
        return self._applied is not None

    def _require_installed(self) -> None:
        # a module already in sys.modules counts (a test's stand-in, or an editable copy);
        # else find_spec answers without importing the package
        if sys.modules.get(self.package) is not None:
            return
        try:  # (a None entry in sys.modules blocks the import: not installed for us either)
            found = self.package not in sys.modules and (
                importlib.util.find_spec(self.package) is not None
            )
        except (ImportError, ValueError):
            found = False
        if not found:
            fail(
                f"{self.api}.patch",
                "the peer package",
                f"installed to be patched (pip install {self.distribution}; import name "
                f"{self.package!r})",
                "none installed",
                ImportError,
            )

    def _import(self, name: str) -> ModuleType:
        with warnings.catch_warnings():  # the peer's import-time warnings are not ours
            warnings.simplefilter("ignore")
            return importlib.import_module(name)

    def patch(self) -> None:
        """Replace every target by its front door (idempotent)."""
        with _LOCK:
            if self._applied is not None:
                return
            self._require_installed()
            plan: list[tuple[ModuleType, str, Any, Any]] = []
            for t in self.targets:
                try:
                    module = self._import(t.module)
                except ImportError:
                    if t.optional:
                        continue
                    raise
                if not hasattr(module, t.attr):
                    fail(
                        f"{self.api}.patch",
                        f"{t.module}.{t.attr}",
                        f"present (the {self.distribution} API this front door mirrors)",
                        "no such attribute: another version of the package?",
                        RuntimeError,
                    )
                plan.append((module, t.attr, getattr(module, t.attr), t.replacement))
            for module, attr, _, replacement in plan:
                setattr(module, attr, replacement)
            self._applied = plan

    def unpatch(self) -> None:
        """Restore the original objects (a no-op when not patched)."""
        with _LOCK:
            if self._applied is None:
                return
            for module, attr, original, replacement in reversed(self._applied):
                if getattr(module, attr, None) is replacement:
                    setattr(module, attr, original)
            self._applied = None

    @contextmanager
    def patched(self) -> Iterator[None]:
        """``with patched(): ...`` runs the block patched and restores the state found."""
        with _LOCK:
            was = self.is_patched()
            self.patch()
        try:
            yield
        finally:
            if not was:
                self.unpatch()
