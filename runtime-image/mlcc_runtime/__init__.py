"""mlcc-runtime: serves a module's ``inference`` function as a web service.

The package is imported by ``python -m mlcc_runtime`` from a copied folder inside any developer
image, so importing it must stay cheap: no heavy imports at package level.
"""

__version__ = "0.1.0"
