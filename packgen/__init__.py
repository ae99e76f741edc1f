"""packgen: alternative provision evidence packs for English schools.

The library never prints and never imports click; ``packgen.cli`` is the only command-line layer.
"""

__version__ = "0.1.0"
