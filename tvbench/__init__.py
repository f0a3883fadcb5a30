"""tvbench: multilingual vision-language model evaluation.

Importing the package does no I/O and loads no heavy library; see ``tvbench.cli`` for the
command line and README.md for the layout (data, tasks, models, metrics, runs, report).
"""

__version__ = "0.1.0"
