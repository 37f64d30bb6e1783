"""Experiment 03 (quantization trade-offs): what storing vectors at a lower precision, alone or after a
dimension reduction (parts A and C), running the model at a lower weight precision, pruned or distilled
(B and D), and caching embeddings (D) cost in quality and buy in bytes, memory and time.

One module per job; the notebook `notebooks/03_quantization_tradeoffs.ipynb` calls them through this
package (``from embedlab.analysis import quantization_tradeoffs as qt``):

- ``plan``: params checked before any work; the variants, their transforms and bytes.
- ``vectors`` (A): every (model, precision, task) scored from the store through a transform fitted on the
  calibration task's vectors with every evaluated text removed; retention; sign-bit use; paired tests.
- ``rescoring``: ``k * m`` candidates from a real faiss index over the quantized corpus, re-ranked by the
  float32 query, nDCG@k from the task's qrels.
- ``search_time``: faiss indexes at each precision, one query at a time and a batch, in one run.
- ``frontier`` (C): reductions chained with precisions; Pareto fronts.
- ``weights`` (B + D): registry variants (precision, pruning, shipped int8 / 4-bit files, distilled
  students) scored beside the fp32 model each was made from, with the throughput stage's timings.
- ``int8_diagnosis``: where dynamic int8 distorts a model, one group of Linear layers at a time.
- ``margin``: retention of the margin above chance with its paired interval.
- ``caching``: an LRU embedding cache in front of a real encoder on seeded Zipf streams.
- ``figures`` and ``prose``: every figure, title, headline and interpretation, from the records, gathered by
  ``findings``.
- ``records``, ``needs`` and ``claims``: the other parts of the experiment contract (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from .plan import (  # noqa: F401 (the notebook's API)
    CENTRED,
    RESCORE_AGAINST,
    RESCORE_PRECISIONS,
    SEARCH_INDEXES,
    SHORT_INDEX,
    TIMED_INDEXES,
    VARIANT_ORDER,
    bytes_per_vector,
    cache_plan,
    diagnosis_plan,
    make_precision,
    plan,
    tasks_for,
    variant_name,
    variants,
    weight_label,
    weights_plan,
)
from .vectors import (  # noqa: F401 (the notebook's API)
    fitted_calibration,
    main_rows,
    near_constant_bits,
    paired_against_float32,
    retention_by_type,
    retention_table,
    run_precisions,
    score_variant,
    sign_bit_use,
    with_retention,
)
from .rescoring import (  # noqa: F401 (the notebook's API)
    index_against_mteb,
    index_queries,
    mteb_agreement,
    ndcg_at_k,
    precision_index,
    rescoring,
    rescoring_records,
    retrieval_vectors,
)
from .search_time import (  # noqa: F401 (the notebook's API)
    cost_records,
    search_costs,
)
from .frontier import (  # noqa: F401 (the notebook's API)
    fronts,
    nested_pca,
    run_frontier,
)
from .figures import (  # noqa: F401 (the notebook's API)
    MODEL_COLORS,
    PRECISION_STYLE,
    frontier_figure,
    rescoring_figure,
    retention_figure,
    search_figure,
    weights_figure,
)
from .prose import (  # noqa: F401 (the notebook's API)
    KEY_FIGURE,
    findings,
    ANCHORS,
    INDEX_ALONE,
    anchor_table,
    anchor_text,
    binary_by_model,
    rescoring_curves,
    frontier_title,
    headline,
    interpretation,
    per_model_rescoring,
    rescoring_summary,
    rescoring_title,
    retention_title,
    search_title,
    smallest_recipe,
)
from .weights import (  # noqa: F401 (the notebook's API)
    int8_weight_rows,
    onnx_graph_table,
    onnx_graph_text,
    run_weights,
    same_file_type,
    vector_agreement,
    weight_records,
    weights_interpretation,
    weights_table,
    weights_title,
)
from .int8_diagnosis import (  # noqa: F401 (the notebook's API)
    LINEAR_GROUPS,
    int8_diagnosis_text,
    int8_distortion,
    run_int8_diagnosis,
)
from .margin import (  # noqa: F401 (the notebook's API)
    EVERY_MODEL,
    LEVELS,
    margin_frame,
    margin_records,
    margin_table,
    recipe_key,
    recipe_name,
    smallest_recipes,
    with_chance,
)
from .caching import (  # noqa: F401 (the notebook's API)
    KEYS,
    SPEEDUP,
    STREAM_STYLE,
    cache_benchmark,
    cache_figure,
    cache_interpretation,
    cache_records,
    cache_settings,
    cache_summary,
    cache_title,
    hit_rate_needed,
    skews_reaching,
    stream_kind,
)
from .records import all_records, evaluated  # noqa: F401,E402 (the notebook's API: the metrics file)
