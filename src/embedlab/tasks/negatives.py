"""Hard negatives for a cut retrieval corpus: each query's nearest documents by TF-IDF cosine."""

from __future__ import annotations

import numpy as np


def tfidf_neighbours(queries: list[str], documents: list[str]) -> list[list[int]]:
    """For each query, the indices of ``documents`` from most to least similar by TF-IDF cosine.

    One ``TfidfVectorizer(sublinear_tf=True)`` is fitted on the documents (rows are L2-normalised,
    so the dot product is the cosine); ties keep document order (stable sort).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True)
    docs = vectorizer.fit_transform(documents)
    scores = (vectorizer.transform(queries) @ docs.T).toarray()
    return [np.argsort(-row, kind="stable").tolist() for row in scores]
