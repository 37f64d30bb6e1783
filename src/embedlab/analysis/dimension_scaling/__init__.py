"""Experiment 02 (dimension scaling): how much quality each dimension buys, and what it costs.

One module per job; the notebook `notebooks/02_dimension_scaling.ipynb` calls them through this package
(``from embedlab.analysis import dimension_scaling as ds``) and its ``costs``, ``figures``, ``prose`` and
``bound`` modules. Nothing is encoded: every score comes from the embedding store through a reduction
(``embedlab.vectors.reduction``) fitted once per (model, method, dimension, fit texts) and applied to every role of a
task.

- ``methods``: the methods, where each is fitted (``FITS``) and which is an upper bound.
- ``plan``: params checked before any work; the tasks scored at each dimension; where each fit comes from.
- ``grid``: every (model, method, dim, task) scored, with retention against the native score.
- ``tables``: smallest dimensions, the half-dimension check, seed spread, the same-recipe pair.
- ``zoo``: every model at its native size; how many dimensions the models use.
- ``costs``: search time against dimension; ``bound``: why the upper bound levels off.
- ``figures`` and ``prose``: figures, titles, headline and interpretation from the records, gathered by
  ``findings``.
- ``records``, ``needs`` and ``claims``: the other parts of the experiment contract (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from .methods import (  # noqa: F401 (the notebook's API)
    DS_METHODS,
    FALLBACK,
    FITS,
    LEVELS,
    METHOD_LABELS,
    SHORT_LABELS,
    UPPER_BOUNDS,
    UPPER_BOUND_TEXT,
    check_methods,
    is_upper_bound,
)
from .plan import (  # noqa: F401 (the notebook's API)
    fit_table,
    grid_tasks,
    plan,
    tasks_at,
)
from .grid import (  # noqa: F401 (the notebook's API)
    main_rows,
    run_grid,
    with_retention,
)
from .tables import (  # noqa: F401 (the notebook's API)
    half_dimension_check,
    quality_bytes_frame,
    retention_by_type,
    same_recipe,
    same_recipe_by_type,
    seed_spread,
    smallest_dims,
    smallest_dims_per_model,
    threshold_matrix,
)
from .zoo import (  # noqa: F401 (the notebook's API)
    native_zoo,
    size_on_disk,
    utilisation,
    utilisation_records,
)
from .costs import (  # noqa: F401 (the notebook's API)
    cost_sentence,
    search_costs,
    search_records,
    search_title,
)
from .figures import (  # noqa: F401 (the notebook's API)
    METHOD_STYLE,
    label,
    pareto_figure,
    pareto_title,
    pareto_ylabel,
    retention_figure,
    retention_title,
    search_figure,
    threshold_figure,
    threshold_title,
    variance_figure,
    variance_title,
)
from .prose import (  # noqa: F401 (the notebook's API)
    KEY_FIGURE,
    findings,
    ZHANG_2024,
    grid_size,
    half_dimension_text,
    headline,
    interpretation,
    smallest_dims_text,
)
from .bound import (  # noqa: F401 (the notebook's API)
    METHOD,
    centring_alone,
    plateau_sentence,
    plateau_table,
)
from .records import all_records, evaluated  # noqa: F401,E402 (the notebook's API: the metrics file)
