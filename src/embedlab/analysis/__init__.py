"""Tables, titles and written interpretation: ``results`` for every experiment, then one module per
experiment named after its params group (``architecture_comparison`` for 01_architecture_comparison)."""
