"""One module per DVC stage (``python -m embedlab <stage>``), each with a ``run(params_path)``.

A stage module imports only what its stage needs, so its deps in dvc.yaml stay short and true
(tests/test_dvc_deps.py checks them against the imports).
"""
