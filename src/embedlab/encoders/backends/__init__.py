"""One module per loader family; each registers its loaders with ``@register_loader`` when imported.

The registry imports every module here once (``encoders.registry``), so a new loader is one new file.
Heavy libraries (torch, transformers, onnxruntime, ...) are imported when a model loads, not here.
"""
