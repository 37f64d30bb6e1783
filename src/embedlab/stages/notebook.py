"""Stage `experiment@<group>`: execute notebooks/<name>.ipynb with its params group into reports/<name>.ipynb,
and render it to reports/html/<name>.html.

The executed notebook appears only when every cell ran; a failed run is kept as
reports/<name>.failed.ipynb (not a pipeline output) and reported in one line. The HTML page is nbconvert's
``lab`` template with every figure inlined and no script or style fetched from the network (no CDN), so it
opens offline, without a server.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import EmbedlabError, require_package
from ..params import experiment_group, load_params
from ..paths import notebooks_dir, reports_dir, repo_root


def run(name: str, params_path: str | Path = "params.yaml") -> Path:
    params = load_params(params_path)
    group_name, group = experiment_group(params, name)
    name = params["experiments"][group_name]
    source = notebooks_dir() / f"{name}.ipynb"
    if not source.exists():
        raise EmbedlabError(f"notebook {source} not found",
                            f"create it, or remove '{group_name}' from 'experiments' in params.yaml")
    papermill = require_package("papermill")
    reports = reports_dir()
    reports.mkdir(exist_ok=True)
    target = reports / f"{name}.ipynb"
    failed = reports / f"{name}.failed.ipynb"
    tmp = reports / f".{name}.running.ipynb"
    try:
        papermill.execute_notebook(str(source), str(tmp), parameters={"params": group},
                                   kernel_name="python3", cwd=str(repo_root()), progress_bar=False)
    except papermill.PapermillExecutionError as exc:
        os.replace(tmp, failed)
        raise EmbedlabError(f"notebook {name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}",
                            f"see the traceback in {failed}") from None
    os.replace(tmp, target)
    if failed.exists():
        failed.unlink()
    render_html(target, reports / "html" / f"{name}.html")
    return target


def render_html(notebook: Path, html: Path) -> Path:
    """An executed notebook as one self-contained HTML page (figures inlined, no network fetches)."""
    nbconvert, nbformat = require_package("nbconvert"), require_package("nbformat")
    exporter = nbconvert.HTMLExporter(template_name="lab", embed_images=True, require_js_url="", mathjax_url="")
    body, _ = exporter.from_notebook_node(nbformat.read(str(notebook), as_version=4))
    body = re.sub(r'<script src="">\s*</script>', "", body)  # the emptied CDN script tags
    body = body.replace("<title>Notebook</title>", f"<title>{notebook.stem}</title>", 1)
    if re.search(r'<(?:script|link|img)[^>]+(?:src|href)="https?://', body):
        raise EmbedlabError(f"the HTML of {notebook.name} still loads a resource from the network",
                            "check nbconvert's template (require_js_url / mathjax_url)")
    html.parent.mkdir(parents=True, exist_ok=True)
    tmp = html.with_name(f".{html.name}.tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, html)
    return html
