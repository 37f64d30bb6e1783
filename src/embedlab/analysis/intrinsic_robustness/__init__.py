"""Experiment 04 (intrinsic quality and robustness): what an embedding space looks like from the inside and
under noise, one module per study; the notebook `notebooks/04_intrinsic_robustness.ipynb` calls them through
this package (``from embedlab.analysis import intrinsic_robustness as ir``).

- ``plan``: params checked before any work; stored vectors of a task's texts.
- ``fidelity`` (C07): do cosines separate same-class from different-class pairs (ROC AUC beside chance 0.5),
  and do fixed thresholds hold.
- ``centering``: anisotropy (random-pair cosine) and centring on the task's own held-out texts.
- ``polysemy`` (C01): do contextual word vectors separate a word's senses, static ones cannot.
- ``robustness`` (C09): how far noise moves a text's vector and a pair's similarity; the main score on noisy
  texts against the clean ones.
- ``prose``: the interpretation and the headline, every number from the records, gathered by
  ``findings``.
- ``records``, ``needs`` and ``claims``: the other parts of the experiment contract (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from .plan import (  # noqa: F401 (the notebook's API)
    C09_BOUND,
    C09_RATE,
    auc_meaning,
    model_label,
    plan,
    models_scored_on,
    stored_field,
    wrap_title,
)
from .fidelity import (  # noqa: F401 (the notebook's API)
    fidelity_figure,
    fidelity_records,
    fidelity_table,
    fidelity_title,
    run_fidelity,
)
from .centering import (  # noqa: F401 (the notebook's API)
    CENTERINGS,
    anisotropy_figure,
    anisotropy_records,
    anisotropy_title,
    centering_interpretation,
    centering_records,
    centering_table,
    fitted_on,
    run_centering,
    span,
)
from .polysemy import (  # noqa: F401 (the notebook's API)
    polysemy_figure,
    polysemy_records,
    polysemy_table,
    polysemy_title,
    run_polysemy,
    word_vectors_transformers,
)
from .robustness import (  # noqa: F401 (the notebook's API)
    ROBUSTNESS_METRICS,
    moves_at_rate,
    robustness_figure,
    robustness_records,
    robustness_table,
    robustness_title,
    run_robustness,
    score_drops,
)
from .prose import (  # noqa: F401 (the notebook's API)
    KEY_FIGURE,
    findings,
    headline,
    interpretation,
)
from .records import all_records, evaluated  # noqa: F401,E402 (the notebook's API: the metrics file)
