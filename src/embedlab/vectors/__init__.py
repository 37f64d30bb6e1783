"""Operations on embedding vectors, usable from a notebook without any experiment:

- ``transforms``: the ``Transform`` protocol (fit on calibration vectors, apply per role), ``Chain``,
  ``Centering``, ``unit_rows``.
- ``reduction``: dimension reductions (truncation, PCA, random projection) with ``nested_pca``, and
  variance profiles.
- ``quantization``: vector precisions (float16, int8, uint8, binary) as transforms, bit packing, and the
  faiss index at each precision (``precision_index``, ``index_queries``, ``binary_index``) with
  ``rescore_search``.
- ``search``: faiss flat indexes, timed search, ``ndcg_at_k``.
- ``cache``: an LRU embedding cache served on seeded Zipf query streams.
"""
