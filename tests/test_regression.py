"""A published score, reproduced through the whole embedlab path (prepare -> encode -> store -> mteb).

MTEB reports all-MiniLM-L6-v2 on STSBenchmark (test) at cosine Spearman 82.03.
"""

import pytest

from embedlab.tasks import load_prepared, prepare_tasks, texts_to_embed
from embedlab.evaluate import evaluate_task
from embedlab.encoders import load_encoder, models_from_params
from embedlab.store import LookupEncoder, save_embeddings

MTEB_MINILM_STSB = 0.8203


@pytest.mark.large
def test_minilm_stsbenchmark_matches_mteb(tmp_path, mirror, repo_params):
    prepare_tasks(["STSBenchmark"], mirror=str(mirror), sizes={}, seed=0, out_dir=tmp_path / "tasks")
    task = load_prepared("STSBenchmark", tmp_path / "tasks")
    assert len(task["splits"]["test"]["score"]) == 1379, "the full test split, not a sample"
    spec = models_from_params(repo_params["models"])["all-MiniLM-L6-v2"]
    encoder = load_encoder(spec, cache_dir=tmp_path / "models")
    for role, texts in texts_to_embed(task).items():
        vectors = encoder.encode(texts, role=role, show_progress=False)
        save_embeddings(tmp_path / "emb", spec.id, "STSBenchmark", role, texts, vectors,
                        {"task_checksum": task["checksum"]})
    records = evaluate_task(task, LookupEncoder(tmp_path / "emb", spec.id, "STSBenchmark"), spec.id)
    main = next(r for r in records if r["main"])
    assert main["metric"] == "cosine_spearman"
    assert main["value"] == pytest.approx(MTEB_MINILM_STSB, abs=0.003)
