"""Pathwise common library: what at least two services really share.

Domain code never lives here; each service owns its own.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
